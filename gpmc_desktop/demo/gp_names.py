"""Word lists for the demo data: the customers of a regional office-supply distributor.

Mostly US small businesses, schools and offices around Chicago, plus Canadian, German, Nordic, Spanish/Mexican
and UK accounts, whose names bring the accents, ß and Nordic letters real GP data holds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    code: str  # CCode
    country_spellings: tuple[str, ...]  # what users typed into COUNTRY over the years
    currency: str  # GP currency id of most customers there
    cities: tuple[tuple[str, str, str], ...]  # (city, state/province, postal-code pattern: 9 digit, A letter)
    streets: tuple[str, ...]
    street_number_first: bool
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    trades: tuple[str, ...]
    suffixes: tuple[str, ...]
    phone_prefix: str  # digits before the subscriber part, GP keeps 14 digits (10 + 4 extension)


US = Locale(
    code="US",
    country_spellings=("USA", "USA", "USA", "United States", "US", "U.S.A."),
    currency="Z-US$",
    cities=(
        ("Chicago", "IL", "606##"), ("Evanston", "IL", "602##"), ("Naperville", "IL", "605##"),
        ("Aurora", "IL", "605##"), ("Joliet", "IL", "604##"), ("Schaumburg", "IL", "601##"),
        ("Oak Park", "IL", "603##"), ("Rockford", "IL", "611##"), ("Peoria", "IL", "616##"),
        ("Springfield", "IL", "627##"), ("Milwaukee", "WI", "532##"), ("Madison", "WI", "537##"),
        ("Kenosha", "WI", "531##"), ("Gary", "IN", "464##"), ("South Bend", "IN", "466##"),
        ("Indianapolis", "IN", "462##"), ("St. Louis", "MO", "631##"), ("Des Moines", "IA", "503##"),
        ("Grand Rapids", "MI", "495##"), ("Detroit", "MI", "482##"), ("Minneapolis", "MN", "554##"),
        ("Fargo", "ND", "581##"), ("Columbus", "OH", "432##"), ("Toledo", "OH", "436##"),
    ),
    streets=(
        "Main St", "N Michigan Ave", "W Madison St", "Lake Shore Dr", "Oak St", "Maple Ave", "Elm St",
        "Washington Blvd", "Industrial Pkwy", "Commerce Dr", "Center St", "S State St", "W Lake St",
        "Park Ave", "Cedar Ln", "Walnut St", "Route 59", "N Clark St", "Higgins Rd", "Golf Rd",
    ),
    street_number_first=True,
    first_names=(
        "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Susan",
        "William", "Karen", "Richard", "Nancy", "Joseph", "Lisa", "Thomas", "Betty", "Daniel", "Sandra",
        "Kevin", "Ashley", "Brian", "Donna", "Aaron", "Emily", "Jose", "Maria", "Renée", "José", "Zoë",
    ),
    surnames=(
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
        "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Fitz",
        "Kowalski", "Novak", "O'Brien", "O'Neil", "McDonald", "Schmidt", "Olson", "Peterson", "Larson",
        "Peña", "Nuñez", "Côté", "Lindqvist", "Dvořák",
    ),
    trades=(
        "Dental Group", "Law Offices", "Accounting", "Realty", "Elementary School", "Public Library",
        "Animal Hospital", "Construction", "Insurance Agency", "Print Shop", "Medical Center", "Architects",
        "Consulting", "Bakery", "Auto Repair", "Church", "Engineering", "Property Management", "Logistics",
        "Travel", "Credit Union", "Veterinary Clinic", "Day Care", "Pharmacy", "Title Company", "CPA Group",
        "Landscaping", "Plumbing & Heating", "Electrical", "Chiropractic", "Family Dentistry", "Orthodontics",
    ),
    suffixes=("", "", "", " Inc.", " LLC", " Ltd.", " Co.", ", P.C.", " & Associates", " Corp."),
    phone_prefix="1",
)

CANADA = Locale(
    code="CA",
    country_spellings=("Canada", "Canada", "CANADA", "CAN"),
    currency="Z-C$",
    cities=(
        ("Toronto", "ON", "M#A #A#"), ("Mississauga", "ON", "L#A #A#"), ("Montréal", "QC", "H#A #A#"),
        ("Québec", "QC", "G#A #A#"), ("Winnipeg", "MB", "R#A #A#"), ("Windsor", "ON", "N#A #A#"),
    ),
    streets=("rue Sainte-Catherine", "Yonge St", "boul. René-Lévesque", "Queen St W", "Portage Ave"),
    street_number_first=True,
    first_names=("Émilie", "François", "Geneviève", "Jérôme", "Chloé", "Liam", "Olivia", "Noah", "Hélène"),
    surnames=("Tremblay", "Gagnon", "Bouchard", "Côté", "Lévesque", "Bélanger", "Roy", "MacLeod", "Wong"),
    trades=("Comptables", "Cabinet d'avocats", "Dental Centre", "Clinique Vétérinaire", "Imprimerie", "Realty"),
    suffixes=("", " Inc.", " Ltée", " Ltd.", " S.E.N.C.R.L."),
    phone_prefix="1",
)

GERMANY = Locale(
    code="DE",
    country_spellings=("Germany", "Deutschland", "GERMANY", "DE"),
    currency="Z-EURO",
    cities=(
        ("München", "Bayern", "8####"), ("Köln", "NRW", "5####"), ("Düsseldorf", "NRW", "4####"),
        ("Nürnberg", "Bayern", "9####"), ("Frankfurt am Main", "Hessen", "6####"), ("Hamburg", "", "2####"),
    ),
    streets=("Hauptstraße", "Bahnhofstraße", "Schloßallee", "Königsweg", "Große Bleichen", "Mühlenweg"),
    street_number_first=False,
    first_names=("Jürgen", "Günther", "Sören", "Uwe", "Käthe", "Jörg", "Björn", "Anneliese", "Lukas"),
    surnames=("Müller", "Schäfer", "Groß", "Weiß", "Strauß", "Köhler", "Hoffmann", "Schröder", "Meißner"),
    trades=("Bürobedarf", "Steuerberatung", "Zahnarztpraxis", "Architekturbüro", "Druckerei", "Bäckerei"),
    suffixes=(" GmbH", " GmbH & Co. KG", " AG", " e.K.", ""),
    phone_prefix="49",
)

NORDIC = Locale(
    code="NO",
    country_spellings=("Norway", "Norge", "NORWAY"),
    currency="Z-EURO",
    cities=(
        ("Tromsø", "", "9###"), ("Bodø", "", "8###"), ("Ålesund", "", "6###"), ("Bærum", "", "13##"),
        ("Skåne", "", "2####"), ("Århus", "", "8###"), ("Malmö", "", "2####"), ("Jönköping", "", "55###"),
    ),
    streets=("Storgata", "Kirkegårdsveien", "Søndre gate", "Strandvägen", "Åsveien", "Nørregade"),
    street_number_first=False,
    first_names=("Bjørn", "Søren", "Åsa", "Jørgen", "Ingrid", "Øystein", "Märta", "Håkon", "Æsa", "Sigrún"),
    surnames=("Bjørnstad", "Sørensen", "Åkesson", "Jönsson", "Ødegård", "Løvås", "Hæhre", "Þórsson", "Ås"),
    trades=("Regnskap", "Tannlegesenter", "Advokatfirma", "Kontorservice", "Trykkeri", "Bokhandel"),
    suffixes=(" AS", " AB", " ApS", " ASA", ""),
    phone_prefix="47",
)

SPANISH = Locale(
    code="MX",
    country_spellings=("Mexico", "México", "MEXICO", "Spain", "España"),
    currency="Z-MXN",
    cities=(
        ("Ciudad de México", "CDMX", "0####"), ("Guadalajara", "Jalisco", "44###"),
        ("Monterrey", "Nuevo León", "64###"), ("Querétaro", "Querétaro", "76###"),
        ("Hamilton", "Pembroke", "HM ##"), ("St. George's", "St. George's", "GE ##"),
    ),
    streets=("Av. Insurgentes Sur", "Calle Niños Héroes", "Paseo de la Reforma", "Front St", "Calle Peñuelas"),
    street_number_first=False,
    first_names=("José", "María", "Begoña", "Íñigo", "Sofía", "Andrés", "Ramón", "Ángela", "Nuño"),
    surnames=("García", "Martínez", "Núñez", "Peña", "Ibáñez", "Muñoz", "Gómez", "Durán", "Cañizares"),
    trades=("Papelería", "Contadores Públicos", "Clínica Dental", "Despacho Jurídico", "Imprenta", "Colegio"),
    suffixes=(" S.A. de C.V.", " S.A.", " S.L.", ", S.C.", ""),
    phone_prefix="52",
)

UK = Locale(
    code="GB",
    country_spellings=("United Kingdom", "UK", "England", "Great Britain"),
    currency="Z-UK",
    cities=(("London", "", "EC#A #AA"), ("Manchester", "", "M# #AA"), ("Leeds", "", "LS# #AA")),
    streets=("High Street", "Station Road", "Church Lane", "Victoria Road"),
    street_number_first=True,
    first_names=("Oliver", "George", "Amelia", "Isla", "Harry", "Siobhán", "Eóin"),
    surnames=("Hughes", "Evans", "Davies", "Roberts", "O'Sullivan", "Ní Bhriain"),
    trades=("Solicitors", "Chartered Accountants", "Surgery", "Estate Agents", "Printers"),
    suffixes=(" Ltd", " LLP", " plc", ""),
    phone_prefix="44",
)

LOCALES = {loc.code: loc for loc in (US, CANADA, GERMANY, NORDIC, SPANISH, UK)}

# Domains of free mail providers small customers use; shared and "fake-looking" ones come from the generator.
FREEMAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "comcast.net", "icloud.com")
FAKE_DOMAINS = ("example.com", "example.org", "test.com", "none.com", "noemail.com")
JUNK_EMAILS = (
    "n/a", "none", "NONE", "see notes", "no email", "x", "-", "tbd", "ask for email", "accounts@",
    "@", "info@@{domain}", "{local} at {domain}", "{local}@{domain_noext}", "{local}@{domain},",
    "<{local}@{domain}>", "{local}@ {domain}", "{local}.@{domain}", "mailto:",
)
ROLE_MAILBOXES = ("ap", "accounts", "billing", "info", "office", "orders", "purchasing", "admin")
CLASS_IDS = ("USA-ILMO-T1", "USA-ILMO-T2", "USA-WIIN-T1", "USA-US-M", "RETAIL", "WHOLESALE", "GOV", "EDU", "INTL")
SHIP_METHODS = ("LOCAL DELIVERY", "UPS GROUND", "FEDEX", "WILL CALL", "MAIL")
# The segmentation fields (RM00101 SLPRSNID, SALSTERR, PRCLEVEL, PYMTRMID, USERDEF1/2), as a distributor fills them:
# unevenly, with a few hand-typed variants of the same word.
SALESPEOPLE = ("ERIN J.", "GREG E.", "IAN M.", "NANCY B.", "PAUL W.", "SANDRA M.")
TERRITORIES = ("TERRITORY 1", "TERRITORY 2", "TERRITORY 3", "TERRITORY 4", "TERRITORY 5", "TERRITORY 6")
PRICE_LEVELS = ("RETAIL", "RETAIL", "WHOLESALE", "EXTPRCLVL")
PAYMENT_TERMS = ("Net 30", "Net 30", "2% 10/Net 30", "Net 15", "Net 60", "COD", "Due on Receipt")
BUSINESS_TYPES = ("Contractor", "Retail store", "Government", "School", "Healthcare", "Office", "contractor",
                  "CONTRACTOR", "Retail Store")
SOURCES = ("Trade show", "Catalog", "Website", "Referral")


@dataclass(frozen=True)
class CatalogItem:
    """An item the distributor sells (IV00101), with what the generator needs to price it."""

    number: str  # ITEMNMBR: a few hold a space or a slash, as hand-made item numbers do
    description: str
    class_id: str  # ITMCLSCD
    item_type: int  # ITEMTYPE: 1 sales inventory, 2 discontinued, 3 kit, 4 misc charges, 5 services, 6 flat fee
    cost_cents: int  # CURRCOST in dollars' cents; prices are a markup on it


# The office-supply catalog both companies draw about 40 items from (gp_sales.company_catalog).
ITEM_CATALOG: tuple[CatalogItem, ...] = (
    CatalogItem("PAP-LTR-20", "Copy paper, letter, 20 lb, case of 10 reams", "PAPER", 1, 3150),
    CatalogItem("PAP-LGL-20", "Copy paper, legal, 20 lb, case of 10 reams", "PAPER", 1, 4275),
    CatalogItem("PAP-11X17", "Tabloid paper 11x17, 500 sheets", "PAPER", 1, 1420),
    CatalogItem("PAP-RCY-30", "Recycled copy paper 30% PCW, case", "PAPER", 1, 3690),
    CatalogItem("PAP-BOND-75", "Papel bond carta 75 g/m², caja", "PAPER", 1, 3380),
    CatalogItem("PAP-CARD-65", "Cardstock 65 lb white, 250 sheets", "PAPER", 1, 1150),
    CatalogItem("ENV-10-500", "No. 10 envelopes, box of 500", "PAPER", 1, 1890),
    CatalogItem("LBL-5160", "Address labels 1\" x 2-5/8\", 3000 count", "PAPER", 1, 2240),
    CatalogItem("PAD-LGL-12", "Legal pads, yellow, 12 pack", "PAPER", 1, 980),
    CatalogItem("NOTE-3X3-24", "Sticky notes 3x3, 24 pads", "PAPER", 1, 1310),
    CatalogItem("TON-HP-26A", "HP 26A black toner cartridge", "TONER", 1, 9850),
    CatalogItem("TON-HP-58X", "HP 58X high-yield black toner", "TONER", 1, 17400),
    CatalogItem("TON-BRO-TN760", "Brother TN-760 toner", "TONER", 1, 5120),
    CatalogItem("INK-EPS-T252", "Epson T252 ink, 4-colour pack", "TONER", 1, 6330),
    CatalogItem("DRUM-BRO-DR730", "Brother DR-730 drum unit", "TONER", 1, 7460),
    CatalogItem("PEN/BLU-12", "Ballpoint pens, blue, 12 pack", "WRITING", 1, 310),
    CatalogItem("PEN-GEL-BLK", "Gel pens, black, 12 pack", "WRITING", 1, 870),
    CatalogItem("MRK-DRY-4", "Dry-erase markers, 4 colours", "WRITING", 1, 540),
    CatalogItem("HLT-YEL-10", "Highlighters, yellow, 10 pack", "WRITING", 1, 460),
    CatalogItem("PCL-HB-24", "Pencils #2 HB, 24 pack", "WRITING", 1, 290),
    CatalogItem("FLD-LTR-100", "File folders, letter, box of 100", "FILING", 1, 1240),
    CatalogItem("BND-2IN-WHT", "View binder 2\", white", "FILING", 1, 520),
    CatalogItem("STP-STD-5000", "Standard staples, 5000", "FILING", 1, 190),
    CatalogItem("STPLR-DESK", "Desktop stapler", "FILING", 1, 1150),
    CatalogItem("CAB-4DR-LTR", "Vertical file cabinet, 4 drawers, letter", "FURNITURE", 1, 21900),
    CatalogItem("CHR-MESH-BLK", "Ergonomic mesh chair – black", "FURNITURE", 1, 18900),
    CatalogItem("CHR-STACK-4", "Stacking chairs, set of 4", "FURNITURE", 1, 15400),
    CatalogItem("DSK 60X30", "Desk 60\" x 30\", walnut", "FURNITURE", 1, 32500),
    CatalogItem("TBL-CONF-8", "Conference table, 8 ft", "FURNITURE", 1, 48800),
    CatalogItem("SHF-5-OAK", "Bookcase, 5 shelves, oak", "FURNITURE", 1, 12900),
    CatalogItem("MAT-CHAIR", "Chair mat for carpet", "FURNITURE", 2, 3600),
    CatalogItem("COF-DRK-2LB", "Coffee, dark roast, 2 lb", "BREAKROOM", 1, 1480),
    CatalogItem("CAF-MOLIDO-1KG", "Café molido, 1 kg", "BREAKROOM", 1, 1620),
    CatalogItem("CUP-12OZ-1000", "Paper cups 12 oz, 1000", "BREAKROOM", 1, 5230),
    CatalogItem("WTR-5GAL", "Bottled water, 5 gal", "BREAKROOM", 1, 690),
    CatalogItem("KIT-BRK-START", "Breakroom starter kit", "BREAKROOM", 3, 8900),
    CatalogItem("TWL-MULTI-4000", "Multifold paper towels, 4000", "JANITORIAL", 1, 3480),
    CatalogItem("TP-2PLY-96", "Toilet tissue, 2-ply, 96 rolls", "JANITORIAL", 1, 5790),
    CatalogItem("CLN-ALL-GAL", "All-purpose cleaner, gallon", "JANITORIAL", 1, 840),
    CatalogItem("BAG-33GAL-100", "Trash bags 33 gal, 100", "JANITORIAL", 1, 1960),
    CatalogItem("USB-32GB", "USB flash drive 32 GB", "TECH", 1, 620),
    CatalogItem("KBD-WL-SET", "Wireless keyboard and mouse", "TECH", 1, 2850),
    CatalogItem("CBL-HDMI-6", "HDMI cable, 6 ft", "TECH", 1, 540),
    CatalogItem("CALC-PRT-12", "Printing calculator, 12 digits", "TECH", 2, 4150),
    CatalogItem("SVC-INSTALL", "Furniture installation (hour)", "SERVICE", 5, 3800),
    CatalogItem("SVC-DELIVERY", "Delivery and setup (hour)", "SERVICE", 5, 2900),
    CatalogItem("SVC-PRINTER", "Printer maintenance visit (hour)", "SERVICE", 5, 5400),
    CatalogItem("SVC-DESIGN", "Office layout consulting (hour)", "SERVICE", 5, 7200),
    CatalogItem("FEE-RUSH", "Rush order handling", "FEES", 4, 1500),
    CatalogItem("FEE-RECYCLE", "Toner cartridge recycling fee", "FEES", 6, 350),
)
# Items the distributor sold once and has since deleted from IV00101: posted lines still name them.
RETIRED_ITEMS: tuple[CatalogItem, ...] = (
    CatalogItem("TON-HP-12A", "HP 12A toner (old model)", "TONER", 1, 6200),
    CatalogItem("FAX-PAPER-RL", "Thermal fax paper roll", "PAPER", 1, 410),
    CatalogItem("CHR-VINYL-GRY", "Vinyl task chair, grey", "FURNITURE", 1, 7900),
    CatalogItem("DSK-BLOTTER", "Desk blotter 22x17", "FILING", 1, 930),
)
# Price over cost by item class (what the scaled line prices keep in proportion).
CLASS_MARKUPS = {"PAPER": 1.35, "TONER": 1.3, "WRITING": 1.8, "FILING": 1.7, "FURNITURE": 1.55, "BREAKROOM": 1.5,
                 "JANITORIAL": 1.45, "TECH": 1.6, "SERVICE": 1.9, "FEES": 1.0}
