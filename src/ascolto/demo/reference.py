"""Reference data of the demo city: offices, teams, channels, SLA policies, routing rules and
campaigns, modelled on the organisation of Milan's CRM Area (DESIGN §1).

Pure data, no database access: `seed.py` writes it idempotently (update or create by code).
Every address ends in `.demo`, a domain that does not exist, so no demo email can reach anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAIL_DOMAIN = "comune.milano.demo"


@dataclass(frozen=True)
class OfficeSpec:
    code: str
    name: str
    kind: str  # an Office.Kind value
    parent: str | None
    mailbox: str  # the local part of the office's notification address
    budget_line: str


@dataclass(frozen=True)
class TeamSpec:
    code: str
    name: str
    office: str
    operators: int  # how many extra (Faker-named) operators the team gets


@dataclass(frozen=True)
class ChannelSpec:
    code: str
    kind: str
    name: str
    config: dict[str, Any]


@dataclass(frozen=True)
class SlaSpec:
    code: str
    name: str
    resolution_days: int
    working_days: bool
    first_response_hours: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    """A routing rule; `name` is its key (rules have no code)."""

    name: str
    priority: int
    channel_kind: str = ""
    theme: str | None = None
    kind: str = ""
    office: str | None = None
    team: str | None = None
    level: int = 1
    sla: str | None = None


@dataclass(frozen=True)
class KeyDate:
    """A date that drives contacts: `month`/`day` in the campaign's year; `effect` says how
    demand reacts: 'release' (a letter arrives: a peak that decays), 'deadline' (demand builds up
    to the date) or 'window' (steady demand from this date to the campaign's end)."""

    month: int
    day: int
    label: str
    effect: str
    weight: float = 1.0


@dataclass(frozen=True)
class CampaignSpec:
    code: str
    name: str  # "{year}" is replaced by the campaign's year
    description: str
    theme: str
    tag_name: str
    tag_slug: str
    task_force: str | None
    start: tuple[int, int]  # (month, day)
    days: int  # length of the campaign period, first day included
    key_dates: tuple[KeyDate, ...]
    topics: tuple[tuple[str, float], ...]  # topic codes the campaign's requests are about
    escalate_to: tuple[tuple[str, float], ...]  # offices its second-level cases go to
    extra_tags: tuple[tuple[str, str, float], ...] = field(default=())  # (name, slug, share)


def _office(
    code: str, name: str, kind: str, parent: str | None, mailbox: str, budget: str
) -> OfficeSpec:
    return OfficeSpec(code, name, kind, parent, mailbox, budget)


DEP, AREA, BU, UNIT, TF = "department", "area", "business_unit", "unit", "task_force"

OFFICES: tuple[OfficeSpec, ...] = (
    _office(
        "transizione-digitale",
        "Direzione Transizione Digitale",
        DEP,
        None,
        "transizionedigitale",
        "cap. 10410/00",
    ),
    _office("area-crm", "Area CRM", AREA, "transizione-digitale", "areacrm", "cap. 10415/00"),
    _office(
        "crm-customer-operations",
        "Customer Operations e Contact Center",
        UNIT,
        "area-crm",
        "contactcenter",
        "cap. 10415/01",
    ),
    _office(
        "crm-customer-intelligence",
        "Customer Intelligence",
        UNIT,
        "area-crm",
        "customerintelligence",
        "cap. 10415/02",
    ),
    _office(
        "crm-data-analysis", "Data Analysis", UNIT, "area-crm", "dataanalysis", "cap. 10415/03"
    ),
    _office(
        "crm-customer-experience",
        "Customer Experience e Redazione Social",
        UNIT,
        "area-crm",
        "redazionesocial",
        "cap. 10415/04",
    ),
    _office(
        "servizi-civici",
        "Direzione Servizi Civici e Municipi",
        DEP,
        None,
        "servizicivici",
        "cap. 10620/00",
    ),
    _office("anagrafe", "Anagrafe", UNIT, "servizi-civici", "anagrafe", "cap. 10620/01"),
    _office("stato-civile", "Stato Civile", UNIT, "servizi-civici", "statocivile", "cap. 10620/02"),
    _office(
        "servizi-elettorali",
        "Servizi Elettorali",
        UNIT,
        "servizi-civici",
        "elettorale",
        "cap. 10620/03",
    ),
    _office(
        "bilancio-entrate", "Direzione Bilancio ed Entrate", DEP, None, "entrate", "cap. 10150/00"
    ),
    _office("riscossione", "Riscossione", BU, "bilancio-entrate", "riscossione", "cap. 10150/01"),
    _office("siad", "SIAD", BU, "bilancio-entrate", "siad", "cap. 10150/02"),
    _office(
        "imu-canone",
        "IMU e Canone unico patrimoniale",
        UNIT,
        "bilancio-entrate",
        "imu",
        "cap. 10150/03",
    ),
    _office("tf-tari", "Task force TARI", TF, "bilancio-entrate", "taskforcetari", "cap. 10150/09"),
    _office("educazione", "Direzione Educazione", DEP, None, "educazione", "cap. 12010/00"),
    _office("nidi-infanzia", "Nidi e Infanzia", UNIT, "educazione", "nidi", "cap. 12010/01"),
    _office("refezione", "Refezione scolastica", UNIT, "educazione", "refezione", "cap. 12010/02"),
    _office(
        "tf-verifiche-educazione",
        "Task force verifiche anagrafiche Educazione",
        TF,
        "educazione",
        "verificheeducazione",
        "cap. 12010/09",
    ),
    _office(
        "politiche-sociali", "Direzione Politiche Sociali", DEP, None, "sociale", "cap. 12410/00"
    ),
    _office(
        "contributi-sociali",
        "Contributi e sostegno al reddito",
        UNIT,
        "politiche-sociali",
        "contributi",
        "cap. 12410/01",
    ),
    _office(
        "domiciliarita",
        "Domiciliarità e anziani",
        UNIT,
        "politiche-sociali",
        "domiciliarita",
        "cap. 12410/02",
    ),
    _office("mobilita", "Direzione Mobilità e Trasporti", DEP, None, "mobilita", "cap. 10810/00"),
    _office("permessi-sosta", "Permessi e sosta", UNIT, "mobilita", "permessi", "cap. 10810/01"),
    _office(
        "tf-pass-sosta", "Task force Pass sosta", TF, "mobilita", "taskforcepass", "cap. 10810/09"
    ),
    _office(
        "polizia-locale",
        "Direzione Polizia Locale",
        DEP,
        None,
        "polizialocale",
        "cap. 10310/00",
    ),
    _office(
        "pl-verbali",
        "Ufficio verbali e contenzioso",
        UNIT,
        "polizia-locale",
        "verbali",
        "cap. 10310/01",
    ),
    _office(
        "oggetti-rinvenuti",
        "Ufficio oggetti rinvenuti",
        UNIT,
        "polizia-locale",
        "oggettirinvenuti",
        "cap. 10310/02",
    ),
    _office(
        "transizione-ambientale",
        "Direzione Transizione Ambientale",
        DEP,
        None,
        "ambiente",
        "cap. 10910/00",
    ),
    _office("verde", "Verde pubblico", UNIT, "transizione-ambientale", "verde", "cap. 10910/01"),
    _office(
        "tutela-animali",
        "Ufficio tutela animali",
        UNIT,
        "transizione-ambientale",
        "animali",
        "cap. 10910/02",
    ),
    _office("casa", "Direzione Casa", DEP, None, "casa", "cap. 12610/00"),
    _office("alloggi-erp", "Assegnazione alloggi ERP", UNIT, "casa", "alloggi", "cap. 12610/01"),
)

# The competent office (Theme.office) of each node of the taxonomy; a node not listed takes
# the office of its parent, so only areas, themes and the exceptions among topics appear.
THEME_OFFICES: dict[str, str] = {
    "anagrafe": "anagrafe",
    "stato-civile": "stato-civile",
    "elettorale": "servizi-elettorali",
    "tributi": "bilancio-entrate",
    "tari": "riscossione",
    "tari-dichiarazione": "siad",
    "imu": "imu-canone",
    "canone-unico": "imu-canone",
    "polizia-locale": "polizia-locale",
    "sanzioni": "pl-verbali",
    "oggetti-smarriti": "oggetti-rinvenuti",
    "sociale": "politiche-sociali",
    "contributi": "contributi-sociali",
    "anziani": "domiciliarita",
    "mobilita": "mobilita",
    "pass-sosta": "permessi-sosta",
    "educazione": "educazione",
    "iscrizione-nidi": "nidi-infanzia",
    "scuole-infanzia": "nidi-infanzia",
    "refezione": "refezione",
    "numeri-utili": "crm-customer-operations",
    "ambiente": "transizione-ambientale",
    "verde-pubblico": "verde",
    "animali": "tutela-animali",
    "casa": "casa",
    "case-popolari": "alloggi-erp",
    "altro": "crm-customer-operations",
}

FIRST_LEVEL_TEAM = "cc-020202"
SCRIVI_TEAM = "scrivi-backoffice"
SOCIAL_TEAM = "redazione-social"

TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        FIRST_LEVEL_TEAM, "Contact center 020202 – primo livello", "crm-customer-operations", 12
    ),
    TeamSpec(SCRIVI_TEAM, "Scrivi – back office", "crm-customer-operations", 5),
    TeamSpec(SOCIAL_TEAM, "Redazione social", "crm-customer-experience", 3),
    TeamSpec("specialisti-anagrafe", "Specialisti anagrafe", "anagrafe", 2),
    TeamSpec("team-stato-civile", "Back office Stato Civile", "stato-civile", 1),
    TeamSpec("team-servizi-elettorali", "Back office Servizi Elettorali", "servizi-elettorali", 1),
    TeamSpec("team-servizi-civici", "Back office Servizi Civici", "servizi-civici", 1),
    TeamSpec("team-entrate", "Back office Bilancio ed Entrate", "bilancio-entrate", 1),
    TeamSpec("team-riscossione", "Riscossione – back office", "riscossione", 2),
    TeamSpec("team-siad", "SIAD – back office", "siad", 1),
    TeamSpec("team-imu-canone", "IMU e Canone – back office", "imu-canone", 1),
    TeamSpec("tf-tari-team", "Task force TARI", "tf-tari", 2),
    TeamSpec("team-educazione", "Back office Educazione", "educazione", 1),
    TeamSpec("team-nidi", "Nidi e Infanzia – iscrizioni", "nidi-infanzia", 1),
    TeamSpec("team-refezione", "Refezione – rette e diete", "refezione", 1),
    TeamSpec("tf-verifiche-team", "Task force verifiche anagrafiche", "tf-verifiche-educazione", 1),
    TeamSpec("team-sociale", "Back office Politiche Sociali", "politiche-sociali", 1),
    TeamSpec("team-contributi", "Contributi – istruttoria", "contributi-sociali", 1),
    TeamSpec("team-domiciliarita", "Domiciliarità – segretariato", "domiciliarita", 1),
    TeamSpec("team-mobilita", "Back office Mobilità", "mobilita", 1),
    TeamSpec("team-permessi", "Permessi e sosta – sportello", "permessi-sosta", 1),
    TeamSpec("tf-pass-sosta-team", "Task force Pass sosta", "tf-pass-sosta", 1),
    TeamSpec("team-polizia-locale", "Centrale operativa Polizia Locale", "polizia-locale", 1),
    TeamSpec("team-verbali", "Verbali e ricorsi", "pl-verbali", 1),
    TeamSpec("team-oggetti", "Oggetti rinvenuti – sportello", "oggetti-rinvenuti", 1),
    TeamSpec("team-ambiente", "Back office Transizione Ambientale", "transizione-ambientale", 1),
    TeamSpec("team-verde", "Verde – segnalazioni", "verde", 1),
    TeamSpec("team-animali", "Tutela animali – sportello", "tutela-animali", 1),
    TeamSpec("team-casa", "Back office Casa", "casa", 1),
    TeamSpec("team-alloggi", "Alloggi ERP – assegnazioni", "alloggi-erp", 1),
)


@dataclass(frozen=True)
class DemoUserSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    office: str | None
    teams: tuple[str, ...]
    extension: str = ""  # the telephony extension: calls ringing there pop in the console


DEMO_USERS: tuple[DemoUserSpec, ...] = (
    DemoUserSpec(
        "operatore",
        "Chiara",
        "Operatrice",
        "first_level",
        "crm-customer-operations",
        (FIRST_LEVEL_TEAM, SCRIVI_TEAM),
        extension="201",
    ),
    DemoUserSpec(
        "ufficio",
        "Marco",
        "Anagrafe",
        "office",
        "anagrafe",
        ("specialisti-anagrafe",),
    ),
    DemoUserSpec("supervisore", "Elena", "Supervisora", "supervisor", "area-crm", ()),
    DemoUserSpec("analista", "Luca", "Analista", "analyst", "crm-customer-intelligence", ()),
    DemoUserSpec("admin", "Amministratore", "Demo", "administrator", "area-crm", ()),
)

# The demo's Meta channels read their app secret, access token and verify token from variables
# named for the demo only; `python -m ascolto demo` sets them to public placeholders and points
# the Graph API at the local server (demo/meta.py). Never real secrets.
META_VARIABLES = {
    "app_secret_env": "ASCOLTO_DEMO_META_APP_SECRET",
    "access_token_env": "ASCOLTO_DEMO_META_TOKEN",
    "verify_token_env": "ASCOLTO_DEMO_META_VERIFY_TOKEN",
}
PAGE_ID = "160600020202"
INSTAGRAM_ID = "178414000202020"

CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("scrivi", "web", "Scrivi – modulo web", {}),
    ChannelSpec("email-urp", "email", "URP – casella email", {"address": f"urp@{MAIL_DOMAIN}"}),
    ChannelSpec(
        "email-buoni-spesa",
        "email",
        "Buoni spesa – casella della campagna",
        {"address": f"buonispesa@{MAIL_DOMAIN}"},
    ),
    ChannelSpec(
        "tel-020202",
        "phone",
        "020202 – contact center",
        {
            "number": "020202",
            "queues": ["anagrafe", "tributi", "polizia-locale", "sociale", "generale"],
        },
    ),
    ChannelSpec(
        "whatsapp",
        "whatsapp",
        "WhatsApp – assistente virtuale",
        {
            "phone_number_id": "104857600020202",
            "display_phone_number": "+39 02 0202",
            **META_VARIABLES,
            # Approved in WhatsApp Manager: what the console offers once the 24 hours are over.
            "templates": [
                {
                    "name": "aggiornamento_richiesta",
                    "language": "it",
                    "label": "Aggiornamento sulla richiesta",
                    "body": "Gentile cittadino, sulla tua richiesta {{1}} il Comune ti "
                    "scrive: {{2}}. Puoi rispondere a questo messaggio.",
                },
                {
                    "name": "richiesta_risolta",
                    "language": "it",
                    "label": "Richiesta risolta",
                    "body": "La tua richiesta {{1}} è stata risolta. Grazie per aver scritto al "
                    "Comune.",
                },
                {
                    "name": "avviso_comune",
                    "language": "it",
                    "label": "Avviso del Comune",
                    "body": "Avviso del Comune: {{1}}. {{2}} Per saperne di più: {{3}}",
                },
            ],
        },
    ),
    ChannelSpec(
        "facebook", "facebook", "Facebook – commenti", {"page_id": PAGE_ID, **META_VARIABLES}
    ),
    ChannelSpec(
        "messenger", "messenger", "Facebook Messenger", {"page_id": PAGE_ID, **META_VARIABLES}
    ),
    ChannelSpec("instagram", "instagram", "Instagram", {"page_id": INSTAGRAM_ID, **META_VARIABLES}),
)

SLA_POLICIES: tuple[SlaSpec, ...] = (
    SlaSpec("scrivi-30", "Scrivi – risposta entro 30 giorni", 30, False, 72),
    SlaSpec("reclami-30", "Reclami – risposta entro 30 giorni", 30, False, 48),
    SlaSpec("callback-1", "Richiamata entro un giorno lavorativo", 1, True, 8),
    SlaSpec("disservizi-10", "Segnalazioni di disservizio – 10 giorni lavorativi", 10, True, 24),
    SlaSpec("social-3", "Social – risposta entro 3 giorni", 3, False, 24),
    SlaSpec("standard-30", "Richieste – risoluzione entro 30 giorni", 30, False),
)

# Lowest priority wins; empty fields are filled from the next matching rules (tickets/routing.py),
# so the kind rules only set an SLA and the channel rules supply office and team.
ROUTING_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("Richiamate: entro un giorno lavorativo", 10, kind="callback", sla="callback-1"),
    RuleSpec("Reclami: risposta entro 30 giorni", 20, kind="complaint", sla="reclami-30"),
    RuleSpec("Disservizi: 10 giorni lavorativi", 30, kind="disservice", sla="disservizi-10"),
    RuleSpec(
        "Telefono: contact center 020202",
        100,
        channel_kind="phone",
        office="crm-customer-operations",
        team=FIRST_LEVEL_TEAM,
    ),
    RuleSpec(
        "Scrivi: back office, 30 giorni",
        110,
        channel_kind="web",
        office="crm-customer-operations",
        team=SCRIVI_TEAM,
        sla="scrivi-30",
    ),
    RuleSpec(
        "Email: back office Scrivi",
        120,
        channel_kind="email",
        office="crm-customer-operations",
        team=SCRIVI_TEAM,
        sla="scrivi-30",
    ),
    RuleSpec(
        "Facebook: redazione social",
        130,
        channel_kind="facebook",
        office="crm-customer-experience",
        team=SOCIAL_TEAM,
        sla="social-3",
    ),
    RuleSpec(
        "Messenger: redazione social",
        131,
        channel_kind="messenger",
        office="crm-customer-experience",
        team=SOCIAL_TEAM,
        sla="social-3",
    ),
    RuleSpec(
        "Instagram: redazione social",
        132,
        channel_kind="instagram",
        office="crm-customer-experience",
        team=SOCIAL_TEAM,
        sla="social-3",
    ),
    RuleSpec(
        "WhatsApp: passaggio all'operatore",
        140,
        channel_kind="whatsapp",
        office="crm-customer-operations",
        team=FIRST_LEVEL_TEAM,
    ),
    RuleSpec(
        "Tutto il resto: contact center, 30 giorni",
        1000,
        office="crm-customer-operations",
        team=FIRST_LEVEL_TEAM,
        sla="standard-30",
    ),
)

CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        code="tari",
        name="TARI {year}",
        description=(
            "Invio degli avvisi di pagamento della tassa rifiuti e scadenze delle rate: domande "
            "su importi, superfici, riduzioni e rimborsi."
        ),
        theme="tari",
        tag_name="Campagna TARI",
        tag_slug="campagna-tari",
        task_force="tf-tari",
        start=(5, 4),
        days=165,
        key_dates=(
            KeyDate(5, 11, "recapito degli avvisi di pagamento", "release", 1.0),
            KeyDate(6, 30, "scadenza della prima rata", "deadline", 0.8),
            KeyDate(9, 30, "scadenza della seconda rata", "deadline", 0.5),
        ),
        topics=(
            ("tari-pagamento", 0.5),
            ("tari-dichiarazione", 0.2),
            ("tari-rimborso", 0.15),
            ("tari-accertamento", 0.15),
        ),
        escalate_to=(("riscossione", 0.4), ("siad", 0.25), ("tf-tari", 0.35)),
    ),
    CampaignSpec(
        code="iscrizione-nidi",
        name="Iscrizione ai nidi {year}",
        description="Domande di iscrizione ai nidi d'infanzia comunali: due settimane di apertura.",
        theme="iscrizione-nidi",
        tag_name="Campagna iscrizione nidi",
        tag_slug="campagna-nidi",
        task_force="tf-verifiche-educazione",
        start=(4, 7),
        days=14,
        key_dates=(
            KeyDate(4, 7, "apertura delle iscrizioni", "window", 1.0),
            KeyDate(4, 20, "chiusura delle iscrizioni", "deadline", 0.6),
        ),
        topics=(("nidi-domanda", 0.85), ("nidi-graduatorie", 0.15)),
        escalate_to=(("nidi-infanzia", 0.5), ("tf-verifiche-educazione", 0.5)),
    ),
    CampaignSpec(
        code="pass-sosta-residenti",
        name="Rinnovo pass sosta residenti {year}",
        description="Rinnovo annuale dei permessi di sosta per i residenti.",
        theme="pass-sosta",
        tag_name="Campagna pass sosta",
        tag_slug="campagna-pass-sosta",
        task_force="tf-pass-sosta",
        start=(1, 7),
        days=40,
        key_dates=(
            KeyDate(1, 8, "apertura dei rinnovi online", "release", 0.7),
            KeyDate(1, 31, "scadenza dei permessi", "deadline", 1.0),
        ),
        topics=(("pass-rinnovo", 0.7), ("pass-residenti", 0.3)),
        escalate_to=(("permessi-sosta", 0.5), ("tf-pass-sosta", 0.5)),
        extra_tags=(
            ("Pagina pass sosta poco chiara", "pagina-pass-sosta-poco-chiara", 0.3),
            ("Pagamento online non riuscito", "pagamento-online-non-riuscito", 0.1),
        ),
    ),
    CampaignSpec(
        code="buoni-spesa",
        name="Buoni spesa {year}",
        description=(
            "Buoni spesa per le famiglie in difficoltà: domande online e una casella email "
            "dedicata alle domande dei cittadini."
        ),
        theme="buoni-spesa",
        tag_name="Campagna buoni spesa",
        tag_slug="campagna-buoni-spesa",
        task_force=None,
        start=(11, 30),
        days=21,
        key_dates=(
            KeyDate(12, 1, "apertura delle domande", "window", 1.0),
            KeyDate(12, 14, "chiusura delle domande", "deadline", 0.5),
        ),
        topics=(("buoni-spesa", 1.0),),
        escalate_to=(("contributi-sociali", 1.0),),
    ),
)
