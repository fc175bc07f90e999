#!/usr/bin/env python3
"""Writes the labelled privacy corpus (tests/unit/privacy_corpus.tsv): notes a
social worker might type, half harmless (dates, times, amounts, postal codes,
house numbers...), half holding personal data in many written forms. IBANs and
national register numbers are generated with valid checksums.

Each line: LABEL<TAB>note, LABEL one of ok, email, phone, iban, nrn.
"""
import argparse
import random

rng = random.Random(20261121)


def iban(country, bban):
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bban}"


def nrn(yy, mm, dd, seq, after2000):
    base = int(f"{yy:02d}{mm:02d}{dd:02d}{seq:03d}")
    cc = 97 - ((2000000000 + base) % 97 if after2000 else base % 97)
    return f"{yy:02d}{mm:02d}{dd:02d}{seq:03d}{cc:02d}"


def grouped(s, sizes, sep=" "):
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


OK = [
    "Soep, brood en koffie: 2,50 euro, thee gratis.",
    "We zien elkaar at the Kantine, daarna naar huis,be welcome.",
    "Kies optie (a) of (b) op het formulier, punt.",
    "Het aapje van de kinderboerderij heet Fien, zegt de juf.",
    "Prijs 3,50 of 4,00 naargelang de grootte, ter plaatse betalen.",
    "Kwam op 12/03/2024 langs met vragen over de verwarming.",
    "Afspraak verzet naar 09.02.2023 om 13:00 in 't Kattegat.",
    "Koffie & Formulieren verhuist vanaf 2023-02-09 naar donderdag.",
    "Huurprijs gestegen naar € 1.250,00 per maand, dat lukt niet meer.",
    "Fietsbieb kost €20 per jaar en €20 waarborg.",
    "Woont in de buurt van 2990 Wuustwezel, Bredabaan 280.",
    "Bus 410 en 411 rijden niet meer na 19u30.",
    "Het loket in 2920 Kalmthout is enkel open van 9.00 tot 12.00 uur.",
    "Drie kinderen van 4, 7 en 9 jaar; zoekt opvang op woensdag.",
    "Energiefactuur van 23 januari: 145,20 euro, begrijpt de afrekening niet.",
    "Premie kan alleen online aangevraagd worden sinds 2019.",
    "Verwezen naar CAW, kamer 0.12, tussen 13u en 15u.",
    "Kerkstraat 12 bus 3, 2e verdieping, geen lift.",
    "Dossiernummer 2023/145 bij het OCMW, wacht al 6 weken.",
    "50% korting met de UiTPAS, maar de kaart kost 5 euro.",
    "Lijn 600 stopt om 13.07 en 17.37 aan de kerk.",
    "Week 7: 12 deelnemers, 1 op 5 zonder auto.",
    "Zoekt iemand die helpt met itsme, versie 4.2 werkt niet.",
    "Opvang voor kinderen van 0 tot 3 jaar is volzet tot 2025.",
    "Sociale kruidenier: kaart geldig tot 31/12/2025.",
    "Wachtlijst sociale woning: 4 jaar, plaats 312 van 1020.",
    "Afspraak op 3 maart om 14h30 bij de mutualiteit.",
    "Kreeg een boete van € 58 voor een te late aangifte.",
    "De 3de woensdag van de maand is er Fietsbieb van 18:00 tot 19:30.",
    "Moet 12 km fietsen naar het dichtstbijzijnde loket.",
    "Postcode 2930 Brasschaat valt buiten het werkingsgebied.",
    "Rekening van de waterleiding: 2 x 87,50 euro.",
    "Had 3 formulieren mee, 2 ervan waren al vervallen sinds 01-01-2024.",
    "Openingsuren stadhuis: ma 8.30-12.00, do 13.30-19.00.",
    "Les digitale vaardigheden: 10 sessies van 2 uur, start 15/01.",
    "Verhoogde tegemoetkoming aangevraagd in 2022, nog steeds geen antwoord.",
    "Huisnummer 104A, de bel werkt niet.",
    "Trein van 7u12 valt vaak uit, komt te laat op het werk.",
    "Moet € 1.000 voorschieten voor de huurwaarborg.",
    "Wijk Achterbroek, 2920 Kalmthout: geen bus na 18 uur.",
    "Zat op 25.12.2023 zonder verwarming.",
    "Schuld van 3.400 euro bij de energieleverancier.",
    "Tussen 2021 en 2023 drie keer verhuisd.",
    "De helpdesk belt pas terug na 10 werkdagen.",
    "Online afspraak enkel mogelijk tussen 8:00 en 8:15.",
    "Open huis elke donderdag 13u00 - 17u00, koffie vanaf 13h30.",
    "Permanentie van 9u - 12u en van 13u - 16u30.",
    "Ouverture 13h30 - 17h00, le jeudi.",
    "Saldo na aftrek: 1.263,17 euro, plus €20 waarborg.",
    "Fietsbieb: €20 per jaar + €20 waarborg, 3de woensdag van de maand.",
    "Bel gerust 1700 of 1712 (gratis nummers) voor meer uitleg.",
    "Hulplijn 106 en 102 zijn 24/7 bereikbaar.",
    "App versie 10.4.2 werkt niet op haar toestel; update 2.13.1 wel.",
    "Verwezen naar @CAW voor de huurwaarborg.",
    "Met dank aan @SAAMO en @Ligo voor de hulp.",
    "Bus 410 - 411 richting Kalmthout, halte Dorp.",
    "Lijn 600/601 stopt niet meer aan de kerk.",
    "Postcodes 2990 - 2920 - 2930 vallen onder dezelfde werking.",
    "Kerkstraat 12 bus 3, 2990 Wuustwezel.",
    "Bredabaan 280, 2990 Wuustwezel, achteringang.",
    "Gomarus Van Geelstraat 30, 2920 Kalmthout.",
    "Factuur nr. 2023/0012 van 145,20 euro.",
    "Wachttijd 3 tot 6 maanden, 12 tot 18 jaar voor jongeren.",
    "De 1ste en 3de maandag van de maand, 2de verdieping.",
    "Kosten: 0,50 euro per kopie, 2,00 euro per kleurkopie.",
    "Van 01/02 tot 28/02 gesloten wegens verbouwing.",
    "Openingsuren: ma-vr 8u30-12u, wo 13u-19u.",
    "Zaal 1.12 op de eerste verdieping, lift aanwezig.",
    "Kwam met 2 kinderen (4 en 7 jaar) naar de infosessie.",
    "Premie van 250 euro, aanvraag voor 31 maart 2024.",
    "Energieprijs 0,32 euro/kWh, voorschot 95 euro per maand.",
    "Meet at the town hall at 10.30, bring the letter.",
    "Hij at een boterham. Daarna ging het beter.",
    "Dat is een belangrijk punt. Com je morgen terug?",
    "Rendez-vous à 14h00 au CPAS, salle 2.",
    "Treffen um 15:00 Uhr im Dorfhaus, Raum 3.",
    "Meeting at 13:00, room 0.12, second floor.",
    "Afspraak 2024-03-12 om 09:30, dossier 2024/1234.",
    "Tel. het aantal formulieren: 12, 15 en 20 pagina's.",
    "Windows 11 update 23H2 lukte niet.",
    "Zoekt info over artikel 1675/2 van het Gerechtelijk Wetboek.",
    "Leefloon categorie 3: 1.685,14 euro per maand.",
    "Nieuwe huurprijs 795 euro vanaf 01.07.2024.",
    "Kilometerstand 12.345 km, auto moet naar de keuring.",
    "Jaarabonnement De Lijn kost 49 euro met verhoogde tegemoetkoming.",
    "Wachtnummer 045 aan het loket, 2 uur gewacht.",
    "Ticket 0012 - 0015 waren voor de sociale dienst.",
    "Van 0 tot 3 jaar gratis, daarna 5 euro.",
    "Groep van 10 - 12 deelnemers, 3 begeleiders.",
    "Verwijzing via www.caw.be/contact voor een afspraak.",
    "Website: https://www.wuustwezel.be/stek en www.saamo.be.",
    "Formulier op https://mijn.belgie.be, stap 2 van 5.",
    "Ondernemingsnummer van de vzw: 0412.345.614 (KBO), voor de subsidie.",
]

TEMPLATES_OK = [
    "Open van {h}u00 - {h2}u00, koffie om {h}h30.",
    "Kostprijs €{a},{c} of {a}.{c} euro, waarborg €{k}.",
    "Bus {b} en {b2} rijden om {h}:{mi} naar {g}.",
    "Elke {o2} woensdag van de maand om {h}u{mi} in {pc} {g}.",
    "Versie {k}.{n}.{b} van de app, update {k}.{m}.",
    "Via @{o} doorverwezen, kamer {k}.{n}.",
    "Bezoek op {d}/{m}/{y} rond {h}:{mi}, vraag over {t}.",
    "Afspraak {d}.{m}.{y} om {h}u{mi} bij {o}.",
    "Factuur van {a},{c} euro, niet begrepen ({t}).",
    "Woont in {pc} {g}, {s} {n}.",
    "Wacht sinds {y} op antwoord over {t}.",
    "{k} personen op de infosessie van {y}-{m}-{d}.",
    "Bus {b} rijdt enkel om {h}.{mi} en {h2}.{mi}.",
    "Moet {k} km rijden naar {g} voor {t}.",
]
TOPICS = ["de energiefactuur", "de premie", "huur", "itsme", "de mutualiteit", "kinderopvang",
          "de verhoogde tegemoetkoming", "de huurwaarborg", "de afrekening water"]
ORGS = ["CAW", "OCMW", "de mutualiteit", "Ligo", "SAAMO"]
ORDINALS = ["1ste", "2de", "3de", "4de", "laatste"]
TOWNS = [("2990", "Wuustwezel"), ("2920", "Kalmthout"), ("2000", "Antwerpen"), ("2930", "Brasschaat"),
         ("1000", "Brussel"), ("9000", "Gent")]
STREETS = ["Bredabaan", "Kerkstraat", "Dorpsstraat", "Gomarus Van Geelstraat", "Molenweg"]


def harmless():
    out = list(OK)
    while len(out) < 231:
        t = rng.choice(TEMPLATES_OK)
        pc, g = rng.choice(TOWNS)
        out.append(t.format(d=f"{rng.randint(1, 28):02d}", m=f"{rng.randint(1, 12):02d}",
                            y=rng.choice(["2023", "2024", "2025"]), h=rng.randint(8, 18),
                            h2=rng.randint(8, 18), mi=rng.choice(["00", "15", "30", "45"]),
                            t=rng.choice(TOPICS), o=rng.choice(ORGS), a=rng.randint(20, 999),
                            c=f"{rng.randint(0, 99):02d}", pc=pc, g=g, s=rng.choice(STREETS),
                            n=rng.randint(1, 300), k=rng.randint(2, 40), b=rng.randint(100, 999),
                            b2=rng.randint(100, 999), o2=rng.choice(ORDINALS)))
    return out


def with_pii():
    out = []
    emails = ["jan.peeters@gmail.com", "els_v@telenet.be", "An.De-Smet+cpas@skynet.be",
              "MOHAMED.B@HOTMAIL.COM", "k.janssens@outlook.be", "info.familie@proximus.be"]
    for e in emails:
        out.append(("email", f"Mail de papieren naar {e} aub."))
        out.append(("email", f"Contact via {e}, liefst 's avonds"))
    phones = ["0470 12 34 56", "0470/12.34.56", "0470123456", "+32 470 12 34 56",
              "0032 470 12 34 56", "+32 (0)3 123 45 67", "03 123 45 67", "03/123.45.67",
              "014-12-34-56", "09 223 44 55", "06-12345678", "06 1234 5678", "+31 6 12345678",
              "0031 20 123 4567", "020-1234567", "06 12 34 56 78", "06.12.34.56.78",
              "+33 6 12 34 56 78", "0033 1 23 45 67 89", "07700 900123", "+44 7700 900123",
              "020 7946 0958", "0044 20 7946 0958", "+32470123456", "0478.55.66.77"]
    for p in phones:
        out.append(("phone", f"Belt terug op {p} na 17u."))
        out.append(("phone", f"gsm {p}"))
    for _ in range(12):
        be = iban("BE", "".join(str(rng.randint(0, 9)) for _ in range(12)))
        out.append(("iban", f"Huur betalen op {grouped(be, [4, 4, 4, 4])} voor de 5de."))
        out.append(("iban", f"rekening {be.lower()}"))
    for _ in range(4):
        nl = iban("NL", "ABNA" + "".join(str(rng.randint(0, 9)) for _ in range(10)))
        fr = iban("FR", "".join(str(rng.randint(0, 9)) for _ in range(23)))
        out.append(("iban", f"Rekeningnummer {grouped(nl, [4, 4, 4, 4])}."))
        out.append(("iban", f"Virement sur {grouped(fr, [4] * 7)} svp"))
    # How people actually write them (issue 11): obfuscated, spaced, glued, folded.
    locals_ = ["jan.peeters", "els", "an.desmet", "mohamed.b", "k.janssens", "marie-claire"]
    domains = [("gmail", "com"), ("telenet", "be"), ("hotmail", "com"), ("skynet", "be"),
               ("café-bxl", "be"), ("gemeënte", "nl"), ("outlook", "fr"), ("proximus", "be")]
    email_forms = [
        "{l} @ {d}.{t}", "{l}@ {d}.{t}", "{l} @{d} . {t}", "{l}@{d} . {t}", "{l} (at) {d} (dot) {t}",
        "{l}(at){d}.{t}", "{l} [at] {d} [dot] {t}", "{l}[at]{d}[punt]{t}", "{l} at {d} dot {t}",
        "{L} AT {D} DOT {T}", "{l} apenstaartje {d} punt {t}", "{l} {{at}} {d} {{dot}} {t}",
        "{l} arobase {d} point {t}", "{l}@{d}.{t}", "{L}@{D}.{T}", "{l}＠{d}．{t}",
        "{l}@​{d}.{t}", "{l} <at> {d} <dot> {t}", "{l} AT {d} punt {t}",
        "{l}@{d} . {t}",
        # Issue 30: the sign's other names and spellings, and a comma typed for the dot.
        "{l} apestaartje {d} punt {t}", "{l} apenstaart {d} puntje {t}", "{l} aapje {d} punt {t}",
        "{l} arobas {d} point {t}", "{l} arrobase {d} point {t}", "{l} arroba {d} punto {t}",
        "{l} klammeraffe {d} punkt {t}", "{l} chiocciola {d} punto {t}", "{l}@{d},{t}",
        "{l} @ {d},{t}", "{l}@{d}, {t}", "{l} apenstaartje {d},{t}", "{l}(a){d}.{t}",
        "{l} [a] {d} [punt] {t}", "{l} at {d} d0t {t}", "{L} ARROBA {D} PUNTO {T}",
    ]
    for i, form in enumerate(email_forms):
        for j in range(3):
            lo = locals_[(i + j) % len(locals_)]
            d, t = domains[(i * 3 + j) % len(domains)]
            e = form.format(l=lo, d=d, t=t, L=lo.upper(), D=d.upper(), T=t.upper())
            out.append(("email", rng.choice(["Mail naar {} aub.", "Contact: {}", "schrijf {} morgen",
                                             "Zijn adres is {}", "{} (liefst s avonds)"]).format(e)))
    phone_forms = ["0470 / 12 34 56", "0470 - 12 34 56", "03 - 123 45 67", "03 / 123 45 67",
                   "GSM0475123456", "gsm0475 12 34 56", "tel0032475123456", "Tel:0470.12.34.56",
                   "0470 12 34 56", "0470–12–34–56",
                   "0470 123 456", "０４７０ 12 34 56",
                   "04​70 12 34 56", "0470 12\n34 56", "+32 470 12 34 56",
                   "0475-\n123456", "014 / 12.34.56", "(03) 123 45 67", "+32 (0) 470 12 34 56",
                   "0031 6 1234 5678", "+33 (0)6 12 34 56 78", "06 - 12 34 56 78",
                   "0470 12 34 56".replace(" ", " "), "𝟎𝟒𝟕𝟎 12 34 56",
                   "0 4 7 0 1 2 3 4 5 6"]
    for p in phone_forms:
        p = p.replace("\\n", "\n")
        out.append(("phone", f"Belt terug op {p} na 17u."))
        out.append(("phone", f"bereikbaar via {p}"))
    for _ in range(6):
        be = iban("BE", "".join(str(rng.randint(0, 9)) for _ in range(12)))
        out.append(("iban", f"Storten op {grouped(be, [4, 4, 4, 4], '.')} aub."))
        out.append(("iban", f"rekening {be[:2]} {grouped(be[2:], [2, 4, 4, 4])}"))
        out.append(("iban", f"IBAN {grouped(be, [4, 4, 4, 4], '-')}"))
        out.append(("iban", f"rek.nr. {grouped(be, [4, 4, 4, 4], chr(0xa0))}"))
    for _ in range(10):
        base = rng.randint(1, 9999999999)
        cc = base % 97 or 97
        d = f"{base:010d}{cc:02d}"
        out.append(("iban", rng.choice(["Oud rekeningnummer {}.", "rek {} (oude vorm)",
                                        "Betalen op {} voor vrijdag"]).format(
            rng.choice([f"{d[:3]}-{d[3:10]}-{d[10:]}", f"{d[:3]} {d[3:10]} {d[10:]}",
                        f"{d[:3]}.{d[3:10]}.{d[10:]}", f"{d[:3]}-{d[3:10]}–{d[10:]}"]))))
    for _ in range(12):
        after = rng.random() < 0.4
        n = nrn(rng.randint(0, 23) if after else rng.randint(30, 99), rng.randint(1, 12),
                rng.randint(1, 28), rng.randint(1, 997), after)
        forms = [f"{n[0:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:]}", n, f"{n[0:6]} {n[6:9]} {n[9:]}",
                 f"{n[0:2]} {n[2:4]} {n[4:6]} {n[6:9]} {n[9:]}", f"{n[0:2]}.{n[2:4]}.{n[4:6]} {n[6:9]}-{n[9:]}"]
        f = rng.choice(forms)
        out.append(("nrn", f"Rijksregisternummer {f} voor de aanvraag."))
        out.append(("nrn", f"RRN: {rng.choice(forms)}"))
    for _ in range(6):
        n = nrn(rng.randint(30, 99), rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 997), False)
        wide = "".join(chr(0xFF10 + int(c)) for c in n)
        out.append(("nrn", f"rijksregister {wide}"))
        out.append(("nrn", f"RRN {n[0:2]}.{n[2:4]}.{n[4:6]}–{n[6:9]}.{n[9:]}"))
        out.append(("nrn", f"INSZ {n[0:6]}​{n[6:9]}​{n[9:]}"))
    return out


def main():
    global rng
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None, help="another sample (make test uses one)")
    ap.add_argument("--out", default="tests/unit/privacy_corpus.tsv")
    args = ap.parse_args()
    if args.seed is not None:
        rng = random.Random(args.seed)
    lines = [("ok", n) for n in harmless()] + with_pii()
    with open(args.out, "w", encoding="utf-8") as f:
        for label, note in lines:
            # A line break inside a note is written as \\n (the test reads it back).
            f.write(f"{label}\t{note.replace(chr(10), chr(92) + 'n')}\n")
    print(f"{sum(1 for l, _ in lines if l == 'ok')} harmless, "
          f"{sum(1 for l, _ in lines if l != 'ok')} with personal data")


if __name__ == "__main__":
    main()
