-- Demo data for `make run`: the partner organisations of the Noorderkempen
-- examples. Fixed ids and ON CONFLICT make loading it twice harmless.
INSERT INTO partners (id, name, kind, description, website) VALUES
 ('8f0e6a4c-0001-4a00-8000-000000000001', 'SAAMO', 'community_work',
  'Samenlevingsopbouw: runs the STEK meeting moments.', 'https://www.saamo.be'),
 ('8f0e6a4c-0001-4a00-8000-000000000002', 'CAW Antwerpen', 'welfare',
  'General welfare work: help with letters, forms and bills.', 'https://www.caw.be'),
 ('8f0e6a4c-0001-4a00-8000-000000000003', 'OCMW Kalmthout', 'municipality',
  'Social services of the municipality of Kalmthout.', NULL),
 ('8f0e6a4c-0001-4a00-8000-000000000004', 'Gemeente Wuustwezel', 'municipality',
  'Municipality of Wuustwezel: open house at ''t Kattegat.', NULL),
 ('8f0e6a4c-0001-4a00-8000-000000000005', 'Ligo Antwerpen', 'education',
  'Adult basic education: Open Leersalon for digital questions.', 'https://www.ligo.be'),
 ('8f0e6a4c-0001-4a00-8000-000000000006', 'Sociaal Winkelpunt vzw', 'social_grocery',
  'Runs the social grocery ''t Kruideniertje.', NULL),
 ('8f0e6a4c-0001-4a00-8000-000000000007', 'Gezinsbond', 'family',
  'Families'' association: Twinkeltje second-hand children''s clothes.', NULL),
 ('8f0e6a4c-0001-4a00-8000-000000000008', 'Beweging.net', 'civil_society',
  'Fietsbieb, the children''s bike library.', NULL),
 ('8f0e6a4c-0001-4a00-8000-000000000009', 'Rap op Stap vrijwilligers', 'volunteers',
  'Affordable trips and leisure for people with increased allowance.', NULL),
 ('8f0e6a4c-0001-4a00-8000-00000000000a', 'De Voorkempen', 'social_housing',
  'Social housing company.', NULL),
 ('8f0e6a4c-0001-4a00-8000-00000000000b', 'KOMPAS', 'mental_health',
  'Meeting house for people with a psychological vulnerability.', NULL),
 ('8f0e6a4c-0001-4a00-8000-00000000000c', 'SELAB', 'digital_inclusion',
  'Digital inclusion.', NULL)
ON CONFLICT DO NOTHING;
