#!/usr/bin/env python3
"""Writes the labelled privacy corpus (tests/unit/privacy_corpus.tsv): notes a
social worker might type, half harmless (dates, times, amounts, postal codes,
house numbers...), half holding personal data in many written forms. IBANs and
national register numbers are generated with valid checksums.

Each line: LABEL<TAB>note, LABEL one of ok, email, phone, iban, nrn.
"""
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
]

TEMPLATES_OK = [
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
TOWNS = [("2990", "Wuustwezel"), ("2920", "Kalmthout"), ("2000", "Antwerpen"), ("2930", "Brasschaat"),
         ("1000", "Brussel"), ("9000", "Gent")]
STREETS = ["Bredabaan", "Kerkstraat", "Dorpsstraat", "Gomarus Van Geelstraat", "Molenweg"]


def harmless():
    out = list(OK)
    while len(out) < 115:
        t = rng.choice(TEMPLATES_OK)
        pc, g = rng.choice(TOWNS)
        out.append(t.format(d=f"{rng.randint(1, 28):02d}", m=f"{rng.randint(1, 12):02d}",
                            y=rng.choice(["2023", "2024", "2025"]), h=rng.randint(8, 18),
                            h2=rng.randint(8, 18), mi=rng.choice(["00", "15", "30", "45"]),
                            t=rng.choice(TOPICS), o=rng.choice(ORGS), a=rng.randint(20, 999),
                            c=f"{rng.randint(0, 99):02d}", pc=pc, g=g, s=rng.choice(STREETS),
                            n=rng.randint(1, 300), k=rng.randint(2, 40), b=rng.randint(100, 999)))
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
    for _ in range(12):
        after = rng.random() < 0.4
        n = nrn(rng.randint(0, 23) if after else rng.randint(30, 99), rng.randint(1, 12),
                rng.randint(1, 28), rng.randint(1, 997), after)
        forms = [f"{n[0:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:]}", n, f"{n[0:6]} {n[6:9]} {n[9:]}",
                 f"{n[0:2]} {n[2:4]} {n[4:6]} {n[6:9]} {n[9:]}", f"{n[0:2]}.{n[2:4]}.{n[4:6]} {n[6:9]}-{n[9:]}"]
        f = rng.choice(forms)
        out.append(("nrn", f"Rijksregisternummer {f} voor de aanvraag."))
        out.append(("nrn", f"RRN: {rng.choice(forms)}"))
    return out


def main():
    lines = [("ok", n) for n in harmless()] + with_pii()
    with open("tests/unit/privacy_corpus.tsv", "w", encoding="utf-8") as f:
        for label, note in lines:
            f.write(f"{label}\t{note}\n")
    print(f"{sum(1 for l, _ in lines if l == 'ok')} harmless, "
          f"{sum(1 for l, _ in lines if l != 'ok')} with personal data")


if __name__ == "__main__":
    main()
