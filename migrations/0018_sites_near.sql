-- Issue 14: sites near a point are found through their latitude (a band of the radius either
-- side) instead of measuring the distance to every site.
CREATE INDEX sites_lat ON sites (lat) WHERE lat IS NOT NULL;
