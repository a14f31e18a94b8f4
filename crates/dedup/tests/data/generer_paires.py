#!/usr/bin/env python3
"""Builds the labelled pairs of maillage-dedup (variantes.csv, paires.csv).

Labels never come from Maillage's scorer:
- synthetic pairs are TRUE or FALSE by construction (a variant of a record is
  the same place; two distinct records of one source are two places);
- real cross-source pairs were found with a loose generator (distance < 400 m,
  same phone, or same postcode + a shared rare word) and labelled by reading
  them (REELS below, with the reason).
Deterministic: no randomness, re-running gives the same files.
Run from this folder: python3 generer_paires.py            (paires.csv)
                       python3 generer_paires.py controle   (controle-*.csv)
The control set uses other base records, other close pairs and other
homonyms; it was generated once the scorer was frozen and is only measured.
"""
import csv, json, math, re, unicodedata, itertools, os, sys

CONTROLE = len(sys.argv) > 1 and sys.argv[1] == 'controle'
DECALAGE = 2 if CONTROLE else 0
SRC = 'controle' if CONTROLE else 'variante'

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'data')

def cle(s):
    s = unicodedata.normalize('NFD', str(s or ''))
    s = ''.join(c for c in s if not unicodedata.combining(c)).lower()
    return ' '.join(re.sub(r'[^0-9a-z]+', ' ', s).split())

GENERIQUES = set('''de du la le les l d des et a au aux en sur mediatheque bibliotheque mairie espace
numerique france services service maison centre social sociale point cyber epn ccas association
commune communaute municipale municipal public publique msap pimms agence poste bureau accueil ville
saint st'''.split())

def fichier(nom):
    return json.load(open(os.path.join(DATA, 'lieux', nom)))

recs = []  # (source, id, record)
for f in ['hinaura-2021.v0.json', 'charente-2023.v0.json',
          'bus-france-services-charente-2023.v0.json', 'nouvelle-caledonie-2024.v0.json']:
    for r in fichier(f):
        recs.append((r.get('source') or f, str(r['id']), r))
for r in json.load(open(os.path.join(DATA, 'sources', 'mednum-cli', 'etapes-numerique', 'etapes-numerique.json'))):
    recs.append(('Étapes numériques', str(r['ID']), dict(
        id=str(r['ID']), pivot=str(r['SIRET']), nom=r['Nom'], commune=r['Commune'],
        code_postal='%05d' % r['Code postal'], adresse=r['Adresse'],
        latitude=r['latitude'], longitude=r['longitude'])))
par_cle = {(s, i): r for s, i, r in recs}

def dist(a, b):
    try:
        la, lo, lb, mb = (float(a['latitude']), float(a['longitude']),
                          float(b['latitude']), float(b['longitude']))
    except (KeyError, TypeError, ValueError):
        return None
    p = math.radians
    h = (math.sin(p(lb - la) / 2) ** 2
         + math.cos(p(la)) * math.cos(p(lb)) * math.sin(p(mb - lo) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))

def distinctifs(r):
    return set(cle(r['nom']).split()) - GENERIQUES - set(cle(r['commune']).split())

variantes = []  # source, id, base_source, base_id, transformations
paires = []     # source_a, id_a, source_b, id_b, verdict, raison

utilisees = set()  # (synthetic source, base): a source lists a place once

def variante(base, source, transfo):
    bs, bi = base
    utilisees.add((source, base))
    # Unique by construction: the running number of the variant.
    vid = 'v%04d-%s' % (len(variantes), re.sub(r'[^A-Za-z0-9]+', '', bs)[:12].lower())
    variantes.append((source, vid, bs, bi, transfo))
    return (source, vid)

# --- 1. Positives: the same place re-published by another source -----------
TRANSFOS = [
    'maj+sans_accents+abrev+tel_national+deplace:40',
    'abrev+deplace:120',
    'maj+sans_coord',
    'sans_accents+tel_national+deplace:80+typo',
    'maj+abrev+sans_coord+sans_tel',
    'deplace:150+sans_courriel+date',
    'maj+sans_accents+deplace:20+sans_tel+sans_courriel',
    'abrev+typo+sans_coord',
]
# A base must be the only record of its name in its source and commune:
# otherwise the source itself lists the place twice and a variant would be
# the same place as two records of one source.
homonymes_source = {}
for s, i, r in recs:
    k = (s, cle(r['nom']), cle(r['commune']))
    homonymes_source[k] = homonymes_source.get(k, 0) + 1
# Nor may it have a likely twin in another source (shared distinctive word
# within 300 m, or same phone): two variants of one place would then sit in
# one synthetic source, which a source never does.
def tel(r):
    t = re.sub(r'\D', '', str(r.get('telephone') or ''))
    return t[-9:] if len(t) >= 9 else None
def jumeau(s, r):
    for s2, i2, r2 in recs:
        if s2 == s:
            continue
        if tel(r) and tel(r) == tel(r2):
            return True
        d = dist(r, r2)
        if (distinctifs(r) & distinctifs(r2) or cle(r['nom']) == cle(r2['nom'])) and \
                (d is None or d < 300) and cle(r['commune']) == cle(r2['commune']):
            return True
    return False
bases = []
for k, (s, i, r) in enumerate(recs):
    if k % 5 == DECALAGE and homonymes_source[(s, cle(r['nom']), cle(r['commune']))] == 1 \
            and not jumeau(s, r):
        bases.append((s, i))  # every fifth record of every file, in file order
for n, base in enumerate(bases):
    t = TRANSFOS[(n + DECALAGE) % len(TRANSFOS)]
    v = variante(base, SRC + '-a', t)
    paires.append((*base, *v, 'VRAI', 'variante synthétique (%s)' % t))
    if n % 4 == 0:
        t2 = TRANSFOS[(n + 3) % len(TRANSFOS)]
        w = variante(base, SRC + '-b', t2)
        paires.append((*v, *w, 'VRAI', 'deux variantes synthétiques du même lieu (%s / %s)' % (t, t2)))

# --- 2. Hard negatives: two distinct places of one source, close together --
# A variant of A (another source) against B: cross-source, same street or
# building, different place. One source does not list a place twice, and the
# names share no distinctive word.
proches = []
for (sa, ia, ra), (sb, ib, rb) in itertools.combinations(recs, 2):
    if sa != sb:
        continue
    d = dist(ra, rb)
    if d is None or d > 300:
        continue
    if distinctifs(ra) & distinctifs(rb) or cle(ra['nom']) == cle(rb['nom']):
        continue
    proches.append(((sa, ia), (sb, ib), d))
proches.sort(key=lambda x: (x[2], x[0], x[1]))
# Read one by one: these close pairs of one source may be the same place
# listed twice (or are junk), so they are left out of the FALSE set.
EXCLUS = [
    ('765', '880'),  # same address and phone: one departmental service, two names
    ('870', '915'),  # "Mairie Sermoyer" twice
    ('mediation-numerique-aidants-connect-5415-mediation-numerique',
     'mediation-numerique-aidants-connect-2569-mediation-numerique'),  # France Services Barbezieux twice
    ('mediation-numerique-aidants-connect-800-mediation-numerique',
     'mediation-numerique-aidants-connect-3990-mediation-numerique'),  # France Services inside La Poste
    ('35', '77'),    # CCAS Mont-Dore twice
    ('882', '958'),  # conseiller numérique Saint-Gervais twice
    ('18', '160'),   # "Espace chez Nous" is inside the Victor Hugo centre
    ('776', '826'),  # same address, e-mail and website: Seyssel's library is likely "Victor Hugo"
]
EXCLUS_NOMS = [
    ('espace connecte thio', 'case numerique thio'),  # the connected space may be in the case
]
def exclu(a, b, ra, rb):
    if (a[1], b[1]) in EXCLUS or (b[1], a[1]) in EXCLUS:
        return True
    noms = tuple(sorted(' '.join(w for w in cle(r['nom']).split() if w != 'de') for r in (ra, rb)))
    if any(tuple(sorted(x)) == noms for x in EXCLUS_NOMS):
        return True
    if cle(ra['nom']) in ('adresse', '') or cle(rb['nom']) in ('adresse', ''):
        return True
    # Same place in one source under two labels: "La Poste Communale" and
    # "Cyberbase" on one square, with no street number.
    return cle(ra['adresse']) == cle(rb['adresse']) and not re.match(r'\d', cle(ra['adresse']))
proches = [(a, b, d) for a, b, d in proches if not exclu(a, b, par_cle[a], par_cle[b])]
uniques = []
for a, b, d in proches:
    if not any(x[0] == a for x in uniques):
        uniques.append((a, b, d))
for n, (a, b, d) in enumerate(uniques[70:140] if CONTROLE else uniques[:70]):
    t = ['maj+sans_accents', 'abrev+deplace:30', 'maj+tel_national'][n % 3]
    v = variante(a, SRC + '-c', t)
    paires.append((*v, *b, 'FAUX', 'deux lieux distincts d\'une même source à %d m (variante de « %s » / « %s »)'
                   % (round(d), par_cle[a]['nom'], par_cle[b]['nom'])))

# --- 3. Hard negatives: same (generic) name in different communes ----------
par_nom = {}
for s, i, r in recs:
    par_nom.setdefault(cle(r['nom']), []).append((s, i))
homonymes = []
for nom, membres in sorted(par_nom.items()):
    if len(membres) < 2:
        continue
    for a, b in itertools.combinations(membres, 2):
        ra, rb = par_cle[a], par_cle[b]
        if cle(ra['commune']) == cle(rb['commune']):
            continue
        d = dist(ra, rb)
        if d is not None and d < 3000:
            continue
        homonymes.append((a, b))
# Names that are only generic words + commune name: "Mairie de X" vs "Mairie de Y".
generiques = {}
for s, i, r in recs:
    if not distinctifs(r):
        g = ' '.join(w for w in cle(r['nom']).split() if w not in set(cle(r['commune']).split()))
        generiques.setdefault(g, []).append((s, i))
for g, membres in sorted(generiques.items()):
    for a, b in list(itertools.combinations(membres, 2))[:6]:
        ra, rb = par_cle[a], par_cle[b]
        if cle(ra['commune']) == cle(rb['commune']):
            continue
        homonymes.append((a, b))
vus = set()
n = 0
sautes = 0
for a, b in homonymes:
    if (a, b) in vus or n >= 60 or (SRC + '-d', a) in utilisees:
        continue
    vus.add((a, b))
    if CONTROLE and sautes < 60:
        sautes += 1  # the first 60 belong to the main set
        continue
    ra, rb = par_cle[a], par_cle[b]
    t = ['sans_coord', 'maj', 'sans_accents+sans_coord'][n % 3]
    v = variante(a, SRC + '-d', t)
    paires.append((*v, *b, 'FAUX', 'même nom générique, communes différentes (« %s » à %s / « %s » à %s)'
                   % (ra['nom'], ra['commune'], rb['nom'], rb['commune'])))
    n += 1

# --- 4. Hard negatives: one SIRET chain (La Poste) in different towns -------
poste = [(s, i) for s, i, r in recs if s == 'Étapes numériques']
for n in range(DECALAGE, len(poste) - 1, 3):
    a, b = poste[n], poste[n + 1]
    v = variante(a, SRC + '-e', ['maj+sans_coord', 'abrev', 'sans_coord'][n % 3])
    paires.append((*v, *b, 'FAUX', 'même réseau (SIREN La Poste %s), bureaux différents (%s / %s)'
                   % (par_cle[a]['pivot'][:9], par_cle[a]['commune'], par_cle[b]['commune'])))

# --- 5. Real cross-source pairs, labelled by inspection ---------------------
CN = 'conseiller-numerique'; AC = 'aidants-connect'; FS = 'france-services'
FTL = 'france-tiers-lieux'; BUS = 'Bus France Services en Charente'; ET = 'Étapes numériques'
REELS = [
    (CN, '62b038cc', AC, '3269', 'VRAI', 'APEJ Cognac : même SIRET, même adresse 72 rue de Pons'),
    (CN, '62b038cc', 'dora', '2ab362fd', 'VRAI', 'APEJ Cognac : même SIRET, même adresse'),
    (AC, '3269', 'dora', '2ab362fd', 'VRAI', 'APEJ Cognac : même SIRET, même adresse'),
    (CN, '6332e543', 'dora', '8a971a93', 'VRAI', 'Les Quatre Routes Cognac : même nom, SIRET, adresse'),
    (CN, '628dfbd8', 'dora', '23cca744', 'VRAI', 'FLEP Soyaux : même nom, SIRET, adresse, téléphone'),
    (CN, '628dfbd8', AC, '66', 'VRAI', 'FLEP / CSCS FLEP Soyaux : même SIRET, 7 et 9 bd Léon Blum (même bâtiment, 28 m)'),
    ('dora', '23cca744', AC, '66', 'VRAI', 'FLEP / CSCS FLEP Soyaux : même SIRET, même bâtiment'),
    (CN, '637f4bff', AC, '3094', 'VRAI', 'Mairie de Soyaux : même SIRET, même adresse (AV = avenue)'),
    (FS, '730', AC, '465', 'VRAI', 'France services Omega Soyaux / OMEGA - SOYAUX : même lieu place J.-J. Rousseau (5 m)'),
    (FS, '2159', AC, '1891', 'VRAI', 'Effervescentre Roullet : même nom, même adresse (RTE = route)'),
    ('etapes-numerique', 'etapes-numerique-16-', ET, '17', 'VRAI', 'bureau de poste Saint-Yrieix : même nom, même adresse, 0 m'),
    ('Hinaura', '1158', ET, '32', 'VRAI', 'bureau de poste de Montreynaud (BP) : même adresse, 32 m'),
    (CN, '62728ee3', AC, '5358', 'VRAI', 'Rives de Charente : même SIRET, 5 rue/chemin du Halage (coordonnées divergentes)'),
    (CN, '62bdb093', FS, '3030', 'VRAI', 'France Services de Villebois-Lavalette : même téléphone, même structure (adresse changée)'),
    (CN, '649401537', BUS, '10', 'FAUX', 'arrêt du bus France Services devant la mairie de Verdille : service distinct'),
    (CN, '64940b0b', BUS, '11', 'FAUX', 'arrêt du bus France Services place de la mairie de Luxé : service distinct'),
    (CN, '6493fe16', BUS, '3', 'FAUX', 'arrêt du bus France Services à Nanteuil-en-Vallée : service distinct de la mairie'),
    (CN, '64940006', BUS, '2', 'FAUX', 'arrêt du bus France Services à Tusson : service distinct de la mairie'),
    (CN, '6493f2d0', BUS, '9', 'FAUX', 'arrêt du bus France Services à Saint-Amant-de-Boixe : distinct de la mairie'),
    (CN, '64940208', BUS, '12', 'FAUX', 'arrêt du bus France Services à Verteuil : distinct de la mairie'),
    (CN, '64940bd1', BUS, '5', 'FAUX', 'arrêt du bus France Services à Saint-Angeau : distinct de la mairie'),
    (CN, '6493e8b9', BUS, '7', 'FAUX', 'arrêt du bus France Services derrière la mairie de La Forêt-de-Tessé'),
    (CN, '6493f6fa', BUS, '8', 'FAUX', 'arrêt du bus France Services à Charmé : distinct de la mairie'),
    (CN, '6493fedd', BUS, '1', 'FAUX', 'arrêt du bus France Services à Saint-Fraigne : distinct de la mairie'),
    (FS, '730', CN, '637f4bff', 'FAUX', 'France services Omega / mairie de Soyaux : deux lieux à 865 m'),
    (FS, '730', 'dora', '23cca744', 'FAUX', 'France services Omega / FLEP Soyaux : deux structures, 207 m'),
    (CN, '637f961c', AC, '800', 'FAUX', 'mairie de Marthon / La Poste de Marthon'),
    (CN, '637f961c', AC, '3990', 'FAUX', 'mairie de Marthon / France Services à La Poste de Marthon'),
    (CN, '63c5181eb76ddc06f2a6733d', AC, '627', 'FAUX', 'MJC Mosaïque / Régie urbaine Angoulême'),
    (CN, '63c5181eb76ddc06f2a6733d', AC, '794', 'FAUX', 'MJC Mosaïque / Maison des habitants : même SIRET, deux adresses'),
    (AC, '5415', 'dora', '92c4a3cf', 'FAUX', 'France Services Barbezieux / centre socioculturel du Barbezilien'),
    (CN, '62b46d93', FTL, '644bad1c', 'FAUX', 'pôle commerce de la mairie de Cognac / coworking Cognac'),
    (CN, '62c3f134', AC, '3269', 'FAUX', 'médiathèque de Cognac / APEJ Cognac'),
    (CN, '62c3f134', FTL, '644bad1c', 'FAUX', 'médiathèque de Cognac / coworking Cognac'),
    (AC, '4795', CN, '6493f6fa', 'FAUX', 'commune de Ligné / commune de Charmé'),
    (AC, '4795', CN, '6493fedd', 'FAUX', 'commune de Ligné / commune de Saint-Fraigne'),
    (AC, '3021', CN, '64940b0b', 'FAUX', 'commune de Cellettes / commune de Luxé'),
    (CN, '64940bd1', AC, '3021', 'FAUX', 'commune de Val-de-Bonnieure / commune de Cellettes'),
    (CN, '64940b0b', AC, '3050', 'FAUX', 'commune de Luxé / commune de Lonnes'),
    (CN, '62ab3410', FS, '731', 'FAUX', 'chambre d\'agriculture Segonzac / France services Segonzac'),
    (CN, '630cb738', FS, '731', 'FAUX', 'salle annexe de la médiathèque / France services Segonzac'),
    ('dora', 'd2bad912', CN, '62ab32ef', 'FAUX', 'UDAF / chambre d\'agriculture, même rue Joseph Niépce'),
    (FS, '1125', CN, '633d4c8f', 'FAUX', 'France services Villefagnan / réseau départemental de lecture'),
    (FTL, '6018f959', AC, '5515', 'FAUX', 'CIJ / ATTJ Angoulême'),
    (FTL, '6018f959', AC, '4201', 'FAUX', 'CIJ / CCAS Angoulême'),
    (CN, '6322f3f1', 'dora', '2517ec08', 'FAUX', 'Croix-Rouge insertion / Cap emploi'),
    (CN, '635299b6', AC, '890', 'FAUX', 'association jeunesse et loisirs / France Services La Couronne'),
    ('dora', '83528766', AC, '442', 'FAUX', 'tiers-lieu La Parenthèse / communauté de communes'),
    ('Hinaura', '102', ET, '31', 'FAUX', 'bibliothèque La Ponatière / bureau de poste Échirolles'),
    ('Hinaura', '147', ET, '24', 'FAUX', 'PIJ du Velay / bureau de poste Le Puy'),
    ('Hinaura', '418', ET, '1', 'FAUX', 'CAF de l\'Ain / bureau de poste Bourg-en-Bresse'),
    ('Hinaura', '954', ET, '6', 'FAUX', 'association AIME / bureau de poste Bourg-Saint-Andéol (74 m)'),
    ('Hinaura', '961', ET, '66', 'FAUX', 'mairie de Frontenex / bureau de poste de Frontenex'),
    ('Hinaura', '1099', ET, '22', 'FAUX', 'La Base Valence / bureau de poste Valence Herriot'),
    ('Hinaura', '467', ET, '32', 'FAUX', 'EPN de Montreynaud / bureau de poste de Montreynaud (524 m)'),
    ('Hinaura', '1115', ET, '22', 'FAUX', 'médiathèque Latour-Maubourg / bureau de poste Valence'),
]

def resoudre(source, motif):
    trouves = [i for s, i, r in recs if s == source and (i == motif or (len(motif) > 4 and motif in i)
               or i.endswith('-' + motif + '-mediation-numerique'))]
    if len(trouves) != 1:
        raise SystemExit('identifiant ambigu ou absent : %s %s -> %s' % (source, motif, trouves))
    return trouves[0]

for sa, ma, sb, mb, verdict, raison in ([] if CONTROLE else REELS):
    paires.append((sa, resoudre(sa, ma), sb, resoudre(sb, mb), verdict, 'réel, inspecté : ' + raison))

prefixe = 'controle-' if CONTROLE else ''
with open(prefixe + 'variantes.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['source', 'id', 'base_source', 'base_id', 'transformations'])
    w.writerows(variantes)
with open(prefixe + 'paires.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['source_a', 'id_a', 'source_b', 'id_b', 'verdict', 'raison'])
    w.writerows(paires)
import collections
print(len(variantes), 'variantes,', len(paires), 'paires',
      collections.Counter(p[4] for p in paires))
