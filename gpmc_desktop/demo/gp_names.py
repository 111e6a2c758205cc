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
