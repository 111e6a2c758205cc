"""Makes GP rows for one company: customers with their addresses and e-mail rows, and receivables documents.

Used by the generator (seeded, bulk) and by the mutator (new customers and invoices between polls), so both
produce the same kind of dirt.  Every random choice comes from the ``random.Random`` handed in.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from bisect import bisect
from itertools import accumulate

from gpmc_desktop.demo import gp_names as names
from gpmc_desktop.demo.gp_clock import SimClock
from gpmc_desktop.demo.gp_model import (
    CURRENCIES,
    EMPTY_DATE,
    FUNCTIONAL_CURRENCY,
    W_ADDRESS,
    W_ADRSCODE,
    W_BACHNUMB,
    W_CCODE,
    W_CITY,
    W_CNTCPRSN,
    W_COUNTRY,
    W_CSPORNBR,
    W_CURNCYID,
    W_CUSTCLAS,
    W_CUSTNAME,
    W_CUSTNMBR,
    W_DOCNUMBR,
    W_INET,
    W_PHONE,
    W_PRCLEVEL,
    W_PYMTRMID,
    W_SALSTERR,
    W_SHIPMTHD,
    W_SHRTNAME,
    W_SLPRSNID,
    W_STATE,
    W_TRXDSCRN,
    W_USERDEF,
    W_ZIP,
    AddressRow,
    CompanyData,
    CustomerRow,
    DocType,
    DocumentRow,
    InternetRow,
    MultiCurrencyRow,
    doc_key,
    key_of,
    pad,
    pad_shared,
)
from gpmc_desktop.demo.gp_profile import DataProfile

_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "þ": "th", "Þ": "Th", "ł": "l", "Ł": "L",
     "đ": "d", "ð": "d", "Ð": "D", "œ": "oe", "Œ": "OE"}
)

US_STATE_NAMES = {"IL": "Illinois", "WI": "Wisconsin", "IN": "Indiana", "MO": "Missouri", "IA": "Iowa",
                  "MI": "Michigan", "MN": "Minnesota", "ND": "North Dakota", "OH": "Ohio"}
US_AREA_CODES = ("312", "773", "630", "847", "708", "815", "414", "608", "317", "314", "515", "616")
TLDS = {"US": (".com", ".com", ".net", ".us", ".org"), "CA": (".ca", ".com"), "DE": (".de",),
        "NO": (".no", ".se", ".dk"), "MX": (".com.mx", ".mx", ".es", ".bm"), "GB": (".co.uk", ".com")}
SHARED_MAILBOXES = (
    "ap@lakeside-bookkeeping.com", "invoices@northshore-cpa.com", "purchasing@district204.org",
    "ap@midwestdentalpartners.com", "office@sunrisechurches.org", "accounts@franchise-hq.com",
    "billing@brightsmiles.com", "ap@chicagolandschools.org",
)
EXCHANGE_RATES = {"Z-C$": 0.73, "Z-EURO": 1.08, "Z-UK": 1.27, "Z-MXN": 0.058, "Z-YEN": 0.0067}
FOREIGN_FOR_US = (("Z-C$", 0.5), ("Z-EURO", 0.25), ("Z-UK", 0.15), ("Z-MXN", 0.07), ("Z-YEN", 0.03))
DEBIT_TYPES = frozenset({1, 2, 3, 4, 5})
SERIES = {1: ("STDINV", 7), 2: ("SCHED", 6), 3: ("DR", 8), 4: ("FIN", 7), 5: ("SVC", 7), 6: ("WRN", 7),
          7: ("CR", 8), 8: ("RTN", 8), 9: ("PYMNT", 8)}
INVOICE_TEXT = ("", "", "", "Office supplies", "Toner and paper", "Furniture", "Monthly statement",
                "Breakroom supplies", "Janitorial", "Rush order")
PAYMENT_TEXT = ("Check", "ACH", "Credit Card", "Wire", "Cash")

# One accounts-payable mailbox for four accounts in every company: the three customers forced to "shared" and the
# one forced to "mailto" (as "mailto:ap@…") have it, so the sync must turn four GP customers into one member and
# one e-commerce customer.  (Fixed here, with the random draws still made, so the rest of the data stays the same.)
GUARANTEED_SHARED_MAILBOX = SHARED_MAILBOXES[0]
ON_GUARANTEED_MAILBOX = frozenset({"shared", "mailto"})
# Forced per-company traits, so that even a 50-customer data set shows every kind of dirt at least once.
GUARANTEED_CUSTOMER_TRAITS = (
    "no_email", "no_email_row", "mailto", "shared", "shared", "shared", "only_cc", "only_bcc", "only_inet1",
    "junk", "zero_phone", "excel_phone", "non_ascii", "inactive", "on_hold", "missing_country", "no_contact",
    "fake_domain", "email_list", "bill_to_only", "odd_number",
)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode("ascii")


def _slug(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())


class CompanyFactory:
    """Row maker for one :class:`CompanyData`; inserts what it makes into the company's tables."""

    def __init__(
        self,
        data: CompanyData,
        rng: random.Random,
        profile: DataProfile,
        clock: SimClock,
        locales: tuple[tuple[str, float], ...],
    ) -> None:
        self.data = data
        self.rng = rng
        self.p = profile
        self.clock = clock
        self._locales = [names.LOCALES[code] for code, _ in locales]
        self._locale_cum = list(accumulate(w for _, w in locales))
        self._types = [t for t, _ in profile.doc_type_weights]
        self._type_cum = list(accumulate(w for _, w in profile.doc_type_weights))
        self._foreign = [c for c, _ in FOREIGN_FOR_US]
        self._foreign_cum = list(accumulate(w for _, w in FOREIGN_FOR_US))
        self._dates: dict[int, dt.date] = {}
        self._batches: dict[tuple[str, int], str] = {}
        self.fixed_today: dt.date | None = None  # set during bulk generation: the clock is read once

    def today(self) -> dt.date:
        return self.fixed_today or self.clock.today()

    # ----------------------------------------------------------------------------------------------- helpers
    def day(self, ordinal: int) -> dt.date:
        """Shared ``date`` objects: 500,000 documents only ever use a few thousand distinct days."""
        d = self._dates.get(ordinal)
        if d is None:
            d = self._dates[ordinal] = dt.date.fromordinal(ordinal)
        return d

    def stamp(self, day: dt.date, start_hour: int = 7, end_hour: int = 19, *,
              rng: random.Random | None = None) -> dt.datetime:
        """A DEX_ROW_TS (UTC, ms) for an edit made during local office hours of *day* (drawn from *rng*, by
        default the company's stream)."""
        rng = rng or self.rng
        ms = rng.randrange(start_hour * 3_600_000, end_hour * 3_600_000)
        local = dt.datetime(day.year, day.month, day.day) + dt.timedelta(milliseconds=ms)
        utc = local - self.clock.utc_offset
        if day >= self.today():  # an edit "today" happened before now, not later this afternoon
            now = self.clock.utcnow()
            if utc > now:
                utc = now - dt.timedelta(milliseconds=rng.randrange(1, 3_600_000))
        return utc

    def _chance(self, rate: float) -> bool:
        return self.rng.random() < rate

    def _pattern(self, pattern: str) -> str:
        rng = self.rng
        return "".join(
            str(rng.randrange(10)) if ch == "#" else chr(65 + rng.randrange(26)) if ch == "A" else ch
            for ch in pattern
        )

    # ------------------------------------------------------------------------------------------- customers
    def add_customer(
        self,
        trait: str | None = None,
        *,
        created: dt.date | None = None,
        modified: dt.date | None = None,
        stamp: dt.datetime | None = None,
    ) -> CustomerRow:
        """Make a customer with its RM00102 and SY01200 rows and insert all of them.

        *trait* forces one kind of dirt (see ``GUARANTEED_CUSTOMER_TRAITS``); otherwise the profile's rates
        decide.  Without dates the customer gets a random history ending today.
        """
        rng, p = self.rng, self.p
        today = self.today()
        locale = self._locales[bisect(self._locale_cum, rng.random() * self._locale_cum[-1])]
        if trait == "non_ascii" and locale.code in ("US", "GB"):
            locale = names.LOCALES[rng.choice(("DE", "NO", "MX"))]
        name, core, surname = self._business_name(locale, accent=trait == "non_ascii")
        odd = trait == "odd_number" or self._chance(p.odd_customer_number)
        custnmbr = self._customer_number(name, odd=odd, needs_quoting=trait == "odd_number")

        if created is None:
            created = self.day(today.toordinal() - rng.randrange(30, 12 * 365))
        if modified is None:
            span = today.toordinal() - created.toordinal()
            modified = created if self._chance(0.2) else self.day(created.toordinal() + int(span * rng.random() ** 0.5))

        if trait == "no_contact" or self._chance(p.no_contact):
            first, last, contact = "", "", ""
        else:
            first, last = rng.choice(locale.first_names), rng.choice(locale.surnames)
            roll = rng.random()
            contact = f"{first} {last}"
            if roll < 0.06:
                contact = "Accounts Payable" if roll < 0.04 else f"Attn: {first} {last}"

        primary_code = "PRIMARY" if not self._chance(p.primary_not_primary) else rng.choice(("MAIN", "001"))
        extra_codes: list[str] = []
        if trait == "bill_to_only" or self._chance(p.extra_addresses):
            extra_codes = rng.sample(("BILL TO", "SHIP TO", "WAREHOUSE", "SHIP TO 2"), rng.randint(1, 3))
            if trait == "bill_to_only" and "BILL TO" not in extra_codes:
                extra_codes.append("BILL TO")
        addr_modified = modified if self._chance(0.5) else self.day(
            rng.randint(created.toordinal(), modified.toordinal())
        )
        addr_stamp = self.stamp(addr_modified)
        cust_stamp = stamp or max(self.stamp(modified), addr_stamp)
        missing_country = trait == "missing_country" or self._chance(p.missing_country)
        primary = self._address(custnmbr, primary_code, contact, locale, created, addr_modified, addr_stamp,
                                missing_country, trait)

        # Many foreign customers are billed in dollars anyway: most documents stay in the functional currency.
        curncy = locale.currency if self._chance(0.4) else "Z-US$"
        if self._chance(p.blank_currency):
            curncy = ""
        cust = CustomerRow(
            custnmbr=custnmbr,
            custname=pad(name, W_CUSTNAME),
            shrtname=pad(ascii_fold(core).upper() if self._chance(0.3) else core, W_SHRTNAME),
            stmtname=pad(name, W_CUSTNAME),
            custclas=pad_shared(rng.choice(names.CLASS_IDS) if locale.code == "US" else "INTL", W_CUSTCLAS),
            cprcstnm=pad_shared("", W_CUSTNMBR),
            cntcprsn=primary.cntcprsn,
            adrscode=primary.adrscode,
            prbtadcd=pad_shared("BILL TO" if "BILL TO" in extra_codes else primary_code, W_ADRSCODE),
            prstadcd=pad_shared("SHIP TO" if "SHIP TO" in extra_codes else primary_code, W_ADRSCODE),
            staddrcd=primary.adrscode,
            address1=primary.address1,
            address2=primary.address2,
            address3=primary.address3,
            city=primary.city,
            state=primary.state,
            zip=primary.zip,
            country=primary.country,
            ccode=primary.ccode,
            phone1=primary.phone1,
            phone2=primary.phone2,
            phone3=primary.phone3,
            fax=primary.fax,
            curncyid=pad_shared(curncy, W_CURNCYID),
            crlmtamt=rng.choice((0, 0, 250_000, 500_000, 1_000_000, 2_500_000)),
            # The customers on the guaranteed mailbox stay eligible for the sync (the draws are still made).
            inactive=1 if trait == "inactive" or (self._chance(p.inactive) and trait not in ON_GUARANTEED_MAILBOX)
            else 0,
            hold=1 if trait == "on_hold" or (self._chance(p.on_hold) and trait not in ON_GUARANTEED_MAILBOX) else 0,
            creatddt=created,
            modifdt=modified,
            dex_row_ts=cust_stamp,
        )
        self._segment_fields(cust, primary)
        key = key_of(custnmbr)
        addresses = [primary]
        for code in extra_codes:
            addresses.append(
                self._address(custnmbr, code, contact if self._chance(0.5) else "", locale, created,
                              addr_modified, addr_stamp, missing_country, None)
            )
        self.data.customers[key] = cust
        self.data.addresses[key] = addresses
        self.data.internet[key] = self._internet_rows(cust, addresses, locale, core, surname, first, last,
                                                      created, today, trait)
        return cust

    def _segment_fields(self, cust: CustomerRow, primary: AddressRow) -> None:
        """The salesperson, territory, price level, terms and user-defined fields, some blank, copied onto the
        primary address as GP does.  Drawn from a stream of the customer's own, so the demo's other values stay
        what they were before these columns existed."""
        rng = random.Random(f"segment fields {cust.custnmbr}")

        def pick(choices: tuple[str, ...], blank: float, width: int) -> str:
            return pad_shared("" if rng.random() < blank else rng.choice(choices), width)

        cust.slprsnid = primary.slprsnid = pick(names.SALESPEOPLE, 0.12, W_SLPRSNID)
        cust.salsterr = primary.salsterr = pick(names.TERRITORIES, 0.1, W_SALSTERR)
        cust.prclevel = pick(names.PRICE_LEVELS, 0.2, W_PRCLEVEL)
        cust.pymtrmid = pick(names.PAYMENT_TERMS, 0.05, W_PYMTRMID)
        cust.userdef1 = primary.userdef1 = pick(names.BUSINESS_TYPES, 0.4, W_USERDEF)
        cust.userdef2 = primary.userdef2 = pick(names.SOURCES, 0.7, W_USERDEF)

    def _business_name(self, locale: names.Locale, accent: bool) -> tuple[str, str, str]:
        """(full name, core name for the short name and domain, surname used)."""
        rng = self.rng
        surname = rng.choice(locale.surnames)
        if (accent or self._chance(self.p.accent_in_us_name)) and locale.code == "US":
            surname = rng.choice(("Peña", "Nuñez", "Côté", "Lindqvist", "Dvořák", "Groß", "Bjørnstad"))
        trade = rng.choice(locale.trades)
        suffix = rng.choice(locale.suffixes)
        roll = rng.random()
        if roll < 0.6:
            core = f"{surname} {trade}"
        elif roll < 0.7:
            core = f"{surname} & {rng.choice(locale.surnames)} {trade}"
        elif roll < 0.85:
            core = f"{rng.choice(locale.cities)[0]} {trade}"
        elif roll < 0.95:
            core = f"{rng.choice(locale.first_names)} {surname}"
        else:
            core = f"The {surname} {trade}"
        name = core + suffix
        if self._chance(self.p.name_whitespace):
            name = " " + name if self._chance(0.5) else name.replace(" ", "  ", 1)
        return name, core, surname

    def _customer_number(self, name: str, odd: bool, needs_quoting: bool = False) -> str:
        """GP-style "AARONFIT0001" keys; *odd* ones are numeric, dashed, or hold '&', a space or an apostrophe."""
        rng, data = self.rng, self.data
        folded = ascii_fold(name).upper()
        prefix = "".join(ch for ch in folded if ch.isalnum())[:8] or "CUST"
        while True:
            if odd:
                n = data.next_number("CUSTNUM", 10_000 + rng.randrange(1000))
                words = [w for w in folded.split() if w[:1].isalnum()]
                style = rng.randrange(1 if needs_quoting else 0, 5)
                if style == 0:
                    number = str(n)
                elif style == 1:
                    number = f"C-{n:05d}"
                elif style == 2:
                    number = f"{prefix[:6]} {n % 10000:04d}"
                elif style == 3 and len(words) >= 2:
                    number = f"{words[0][0]}&{words[1][0]}{n % 10000:04d}"
                else:
                    number = f"{prefix[:1]}'{prefix[1:7]}{n % 100:02d}"
            else:
                n = data.next_number("CUST:" + prefix)
                number = f"{prefix}{n:04d}"
            if len(number) <= W_CUSTNMBR and key_of(number) not in data.customers:
                return pad(number, W_CUSTNMBR)
            odd = False  # a collision: fall back to the plain series, which always advances

    def _address(
        self,
        custnmbr: str,
        code: str,
        contact: str,
        locale: names.Locale,
        created: dt.date,
        modified: dt.date,
        stamp: dt.datetime,
        missing_country: bool,
        trait: str | None,
    ) -> AddressRow:
        rng, p = self.rng, self.p
        city, state, zip_pattern = rng.choice(locale.cities)
        number = str(rng.randint(1, 9999) if locale.street_number_first else rng.randint(1, 180))
        street = rng.choice(locale.streets)
        line1 = f"{number} {street}" if locale.street_number_first else f"{street} {number}"
        line2 = rng.choice(("Suite 200", "Ste. 110", "Floor 3", "PO Box 1187", "Unit B", "Attn: Receiving"))
        line2 = line2 if self._chance(0.2) else ""
        postal = self._pattern(zip_pattern)
        if locale.code == "US" and self._chance(0.1):
            postal += "-" + self._pattern("####")
        if postal.startswith("0") and self._chance(0.3):
            postal = postal[1:]  # leading zero eaten by a spreadsheet import
        if locale.code == "US" and self._chance(p.state_spelled_out):
            state = US_STATE_NAMES.get(state, state) if self._chance(0.6) else state.lower()
        if missing_country:
            country, ccode = "", ""
        else:
            country = rng.choice(locale.country_spellings)
            ccode = "" if self._chance(p.missing_ccode) else locale.code
        return AddressRow(
            custnmbr=custnmbr,
            adrscode=pad_shared(code, W_ADRSCODE),
            cntcprsn=pad_shared(contact, W_CNTCPRSN) if not contact else pad(contact, W_CNTCPRSN),
            address1=pad(line1, W_ADDRESS),
            address2=pad_shared(line2, W_ADDRESS),
            address3=pad_shared("", W_ADDRESS),
            city=pad_shared(city, W_CITY),
            state=pad_shared(state, W_STATE),
            zip=pad(postal, W_ZIP),
            country=pad_shared(country, W_COUNTRY),
            ccode=pad_shared(ccode, W_CCODE),
            phone1=self._phone(locale, p.blank_phone, trait),
            phone2=self._phone(locale, 0.6, None),
            phone3=self._phone(locale, 0.9, None),
            fax=self._phone(locale, 0.5, None),
            shipmthd=pad_shared(rng.choice(names.SHIP_METHODS), W_SHIPMTHD),
            creatddt=created,
            modifdt=modified,
            dex_row_ts=stamp,
        )

    def _phone(self, locale: names.Locale, blank_rate: float, trait: str | None) -> str:
        rng, p = self.rng, self.p
        if trait == "zero_phone" or (trait is None and self._chance(p.zero_phone)):
            return pad_shared("00000000000000", W_PHONE)
        if trait != "excel_phone" and self._chance(blank_rate):
            return pad_shared("", W_PHONE)
        if locale.code in ("US", "CA"):
            area = rng.choice(US_AREA_CODES)
            subscriber = f"55501{rng.randrange(100):02d}"  # 555-01xx: the range reserved for fiction
        else:
            area = locale.phone_prefix + str(rng.randrange(10, 99))
            subscriber = f"{rng.randrange(10**(10 - len(area))):0{10 - len(area)}d}"
        ext = f"{rng.randrange(1, 400):04d}" if self._chance(0.05) else "0000"
        digits = area + subscriber + ext
        if trait == "excel_phone" or self._chance(p.excel_phone):
            return pad(f"{int(digits):.5E}", W_PHONE)  # 31255501010000 -> 3.12555E+13
        if self._chance(p.formatted_phone):
            return pad(f"({area}) {subscriber[:3]}-{subscriber[3:]}", W_PHONE)
        return pad(digits, W_PHONE)

    # ---------------------------------------------------------------------------------------------- e-mail
    def _internet_rows(
        self,
        cust: CustomerRow,
        addresses: list[AddressRow],
        locale: names.Locale,
        core: str,
        surname: str,
        first: str,
        last: str,
        created: dt.date,
        today: dt.date,
        trait: str | None,
    ) -> list[InternetRow]:
        rng, p = self.rng, self.p
        domain = self._domain(locale, core, trait)
        blank_inet = pad_shared("", W_INET)
        website = pad("www." + domain, W_INET) if self._chance(0.2) else blank_inet
        rows: list[InternetRow] = []

        def row(code: str, to: str = "", cc: str = "", bcc: str = "", inet1: str = "") -> InternetRow:
            when = self.day(rng.randint(created.toordinal(), today.toordinal()))
            return InternetRow("CUS", cust.custnmbr, pad_shared(code, W_ADRSCODE),
                               pad(inet1, W_INET) if inet1 else blank_inet, website, to, cc, bcc, self.stamp(when))

        primary_code = cust.adrscode.rstrip()
        if trait == "no_email_row" or (trait is None and self._chance(p.no_email / 2)):
            return rows  # no SY01200 row at all
        if trait == "no_email" or (trait is None and self._chance(p.no_email / 2)):
            rows.append(row(primary_code))  # a row, but every address column blank
            return rows
        field = self._email_field(domain, first, last, surname, trait)
        roll = rng.random()
        if trait == "bill_to_only" or (trait is None and len(addresses) > 1 and roll < p.email_on_bill_to_only):
            rows.append(row(primary_code))
            bill_to = next((a.adrscode.rstrip() for a in addresses if a.adrscode.rstrip() == "BILL TO"),
                           addresses[-1].adrscode.rstrip())
            rows.append(row(bill_to, to=field))
            return rows
        roll = rng.random()
        cc_end = p.email_only_cc
        bcc_end = cc_end + p.email_only_bcc
        inet1_end = bcc_end + p.email_only_inet1
        if trait == "only_cc" or (trait is None and roll < cc_end):
            rows.append(row(primary_code, cc=field))
        elif trait == "only_bcc" or (trait is None and roll < bcc_end):
            rows.append(row(primary_code, bcc=field))
        elif trait == "only_inet1" or (trait is None and roll < inet1_end):
            rows.append(row(primary_code, inet1=field.split(";")[0].strip()))
        else:
            cc = rng.choice(SHARED_MAILBOXES) if self._chance(0.04) else ""
            inet1 = field.split(";")[0].strip() if self._chance(0.1) else ""
            rows.append(row(primary_code, to=field, cc=cc, inet1=inet1))
        for addr in addresses[1:]:
            if addr.adrscode.rstrip() == "BILL TO" and self._chance(0.3):
                rows.append(row("BILL TO", to=self._dress(f"ap@{domain}")))
        return rows

    def _domain(self, locale: names.Locale, core: str, trait: str | None) -> str:
        rng = self.rng
        if trait == "fake_domain" or self._chance(self.p.fake_domain):
            return rng.choice(names.FAKE_DOMAINS)
        if self._chance(0.12):
            return rng.choice(names.FREEMAIL)
        words = [_slug(w) for w in core.split() if _slug(w) and w != "The"]
        joiner = "-" if self._chance(0.3) else ""
        return joiner.join(words[:2] or ["office"]) + rng.choice(TLDS[locale.code])

    def _email_field(self, domain: str, first: str, last: str, surname: str, trait: str | None) -> str:
        """An EmailTo/Cc/Bcc value: one or more addresses, ';'-separated, dressed in the usual dirt."""
        rng, p = self.rng, self.p
        person = _slug(first) or rng.choice(names.ROLE_MAILBOXES)
        family = _slug(last or surname) or "office"
        if (trait == "non_ascii" and self._chance(0.5)) or self._chance(p.non_ascii_email):
            local = (last or surname).lower().replace(" ", "")
            addresses = [f"{local}@{domain}"]
        else:
            styles = (person, f"{person}.{family}", f"{person[:1]}{family}", rng.choice(names.ROLE_MAILBOXES))
            addresses = [f"{rng.choice(styles)}@{domain}"]
        if trait == "email_list" or (trait is None and self._chance(p.email_list)):
            for _ in range(rng.randint(1, 2)):
                addresses.append(f"{rng.choice(names.ROLE_MAILBOXES)}@{domain}")
        if trait == "shared" or (trait is None and self._chance(p.shared_email)):
            drawn = rng.choice(SHARED_MAILBOXES[:3]) if trait == "shared" else rng.choice(SHARED_MAILBOXES)
            addresses[0] = GUARANTEED_SHARED_MAILBOX if trait == "shared" else drawn
        elif trait == "mailto":
            addresses[0] = GUARANTEED_SHARED_MAILBOX
        if trait == "junk" or (trait is None and self._chance(p.junk_email)):
            template = rng.choice(names.JUNK_EMAILS)
            junk = template.format(local=person, domain=domain, domain_noext=domain.split(".")[0])
            if len(addresses) > 1 and self._chance(0.5):
                addresses[-1] = junk
            else:
                addresses = [junk]
        dressed = [self._dress(a, force_mailto=trait == "mailto" and i == 0) for i, a in enumerate(addresses)]
        sep = "; " if self._chance(0.3) else ";"
        text = sep.join(dressed)
        if self._chance(p.blank_list_entries):
            text = rng.choice((text + ";", ";" + text, " " + text + " ", text.replace(sep, ";;", 1) if
                               len(dressed) > 1 else text + "; ;"))
        return text

    def _dress(self, address: str, force_mailto: bool = False) -> str:
        rng, p = self.rng, self.p
        if self._chance(p.upper_case_email):
            address = address.upper() if self._chance(0.5) else address[:1].upper() + address[1:]
        if force_mailto or self._chance(p.mailto_prefix):
            address = rng.choice(("mailto:", "mailto:", "MAILTO:", "mailto: ", "Mailto:")) + address
        return address

    # ------------------------------------------------------------------------------------------ documents
    def random_doc_type(self) -> int:
        return self._types[bisect(self._type_cum, self.rng.random() * self._type_cum[-1])]

    def new_doc_number(self, rmdtypal: int) -> str:
        prefix, width = SERIES[rmdtypal]
        if rmdtypal == DocType.INVOICE and self._chance(0.3):
            prefix, width = "INV", 8  # a second number series (whether SOP posted it is gp_sales' choice)
        n = self.data.next_number(prefix, 1000 + 37 * rmdtypal)
        return pad(f"{prefix}{n:0{width}d}", W_DOCNUMBR)

    def add_document(
        self,
        cust: CustomerRow,
        rmdtypal: int,
        *,
        docdate: dt.date,
        status: str | None = None,
        amount_cents: int | None = None,
        currency: str | None = None,
    ) -> DocumentRow:
        """Make and insert a receivables document.

        *status* is ``open``, ``partial``, ``paid`` or ``void`` (debit types) and ``open``, ``partial`` or
        ``applied`` (credit types, ``paid`` is accepted as a synonym); by default it depends on the age.
        """
        rng, p = self.rng, self.p
        today = self.today()
        age = today.toordinal() - docdate.toordinal()
        debit = rmdtypal in DEBIT_TYPES
        if status is None:
            status = self._random_status(debit, age)
        if status == "applied":
            status = "paid"

        doc_currency = currency or cust.curncyid.rstrip() or FUNCTIONAL_CURRENCY
        if currency is None and doc_currency == FUNCTIONAL_CURRENCY and self._chance(p.foreign_currency_doc):
            doc_currency = self._foreign[bisect(self._foreign_cum, rng.random() * self._foreign_cum[-1])]
        digits = CURRENCIES.get(doc_currency, ("USD", 2))[1]
        if amount_cents is None:  # drawn in dollars, then expressed in the document currency
            amount_cents = round(self._random_amount(rmdtypal) / EXCHANGE_RATES.get(doc_currency, 1.0))
            if rmdtypal == DocType.INVOICE and self._chance(p.zero_amount_invoice):
                amount_cents = 0  # a no-charge replacement: the balance is 0 but nothing was paid
        if digits == 0:
            amount_cents = max(100, round(amount_cents / 100) * 100) if amount_cents else 0

        orig_o = amount_cents
        postdate = min(today, self.day(docdate.toordinal() + (0 if self._chance(0.7) else rng.randint(1, 3))))
        lstedtdt = postdate
        voidstts, voiddate, paid_off = 0, EMPTY_DATE, EMPTY_DATE
        cur_o = orig_o
        if status == "paid" or orig_o == 0:
            cur_o = 0
            paid_off = min(today, self.day(docdate.toordinal() + rng.randint(3, 75)))
            lstedtdt = max(postdate, paid_off)
            paid_off = paid_off if debit else EMPTY_DATE
        elif status == "partial":
            cur_o = orig_o - round(orig_o * rng.uniform(0.1, 0.9))
            if digits == 0:
                cur_o = round(cur_o / 100) * 100
            lstedtdt = max(postdate, min(today, self.day(docdate.toordinal() + rng.randint(3, 45))))
        elif status == "void":
            voidstts = 1
            voiddate = max(postdate, min(today, self.day(docdate.toordinal() + rng.randint(0, 20))))
            lstedtdt = voiddate
            if p.void_clears_balance:
                cur_o = 0

        rate = 1.0
        if doc_currency != FUNCTIONAL_CURRENCY:
            base = EXCHANGE_RATES.get(doc_currency, 1.0)
            rate = round(base * rng.uniform(0.98, 1.02), 7)
        docnumbr = self.new_doc_number(rmdtypal)
        batch_prefix = "RMSLS" if debit else "RMCSH" if rmdtypal == DocType.PAYMENT else "RMCRD"
        batch = self._batches.get((batch_prefix, docdate.toordinal()))
        if batch is None:  # GP's daily batch ids, e.g. RMSLS061424
            batch = pad_shared(batch_prefix + docdate.strftime("%m%d%y"), W_BACHNUMB)
            self._batches[(batch_prefix, docdate.toordinal())] = batch
        if rmdtypal == DocType.PAYMENT:
            text = f"{rng.choice(PAYMENT_TEXT)} {rng.randrange(1000, 99999)}" if self._chance(0.6) else ""
        else:
            text = rng.choice(INVOICE_TEXT) if debit else rng.choice(("", "Damaged", "Price adjustment", "Return"))
        po = f"PO-{rng.randrange(10000, 999999)}" if rmdtypal == DocType.INVOICE and self._chance(0.4) else ""
        row = DocumentRow(
            custnmbr=cust.custnmbr,
            rmdtypal=rmdtypal,
            docnumbr=docnumbr,
            docdate=docdate,
            duedate=self.day(docdate.toordinal() + 30) if debit else docdate,
            postdate=postdate,
            lstedtdt=lstedtdt,
            ortrxamt=round(orig_o * rate),
            curtrxam=round(cur_o * rate),
            voidstts=voidstts,
            voiddate=voiddate,
            dinvpdof=paid_off,
            curncyid=pad_shared(doc_currency, W_CURNCYID),
            bachnumb=batch,
            trxdscrn=pad_shared(text, W_TRXDSCRN) if rmdtypal != DocType.PAYMENT else pad(text, W_TRXDSCRN),
            cspornbr=pad(po, W_CSPORNBR) if po else pad_shared("", W_CSPORNBR),
            dex_row_ts=self.stamp(lstedtdt),
        )
        key = doc_key(rmdtypal, docnumbr)
        if doc_currency != FUNCTIONAL_CURRENCY:
            self.data.multicurrency[key] = MultiCurrencyRow(rmdtypal, docnumbr, row.curncyid, rate, orig_o, cur_o)
        to_history = status == "void" or (
            cur_o == 0 and age > p.history_after_days and self._chance(p.history_share)
        )
        (self.data.history_docs if to_history else self.data.open_docs)[key] = row
        return row

    def _random_status(self, debit: bool, age: int) -> str:
        roll = self.rng.random()
        void = self.p.void_rate if debit else self.p.void_rate / 3
        if roll < void:
            return "void"
        roll = (roll - void) / (1 - void)
        if not debit:
            return "paid" if roll < 0.85 else "open" if roll < 0.97 else "partial"
        if age > 60:
            return "paid" if roll < 0.93 else "partial" if roll < 0.96 else "open"
        return "open" if roll < 0.55 else "paid" if roll < 0.9 else "partial"

    def _random_amount(self, rmdtypal: int) -> int:
        rng = self.rng
        if rmdtypal == DocType.FINANCE_CHARGE:
            dollars = rng.uniform(2, 80)
        elif rmdtypal == DocType.SERVICE_REPAIR:
            dollars = rng.uniform(75, 800)
        elif rmdtypal == DocType.SCHEDULED_PAYMENT:
            dollars = rng.uniform(200, 2000)
        elif rmdtypal == DocType.PAYMENT:
            dollars = rng.lognormvariate(5.6, 1.0)
        elif rmdtypal == DocType.INVOICE:
            dollars = rng.lognormvariate(5.3, 1.0)
        else:
            dollars = rng.lognormvariate(4.2, 1.0)
        return max(100, min(6_000_000, round(dollars * 100)))
