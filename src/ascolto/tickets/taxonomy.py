"""The city's taxonomy of requests (area → theme → topic), loaded by migration 0002.

Areas and their shares of 2021's contacts (DESIGN §1): Anagrafe e servizi civici 33 %, Tributi
16 %, Polizia Locale 15 %, Sociale 12 %, Mobilità 8 %, Educazione 3 %, Numeri utili e contatti
2 %, Altro 2 %. The published mix leaves 9 % unnamed; the demo city gives it to Ambiente e verde
(5 %) and Casa (4 %), two areas every large city's contact center handles.
"""

from __future__ import annotations

# (code, name, [(code, name, [(code, name), ...]), ...])
TAXONOMY: list[tuple[str, str, list[tuple[str, str, list[tuple[str, str]]]]]] = [
    (
        "anagrafe",
        "Anagrafe e servizi civici",
        [
            (
                "carta-identita",
                "Carta d'identità elettronica",
                [
                    ("cie-rilascio", "Primo rilascio"),
                    ("cie-rinnovo", "Rinnovo"),
                    ("cie-smarrimento", "Furto o smarrimento"),
                ],
            ),
            (
                "certificati",
                "Certificati anagrafici",
                [
                    ("certificati-online", "Certificati online"),
                    ("autocertificazione", "Autocertificazione"),
                ],
            ),
            (
                "residenza",
                "Residenza",
                [
                    ("cambio-residenza", "Cambio di residenza"),
                    ("cambio-indirizzo", "Cambio di indirizzo"),
                    ("verifiche-anagrafiche", "Verifiche anagrafiche"),
                ],
            ),
            (
                "stato-civile",
                "Stato civile",
                [
                    ("matrimoni", "Matrimoni e unioni civili"),
                    ("nascite", "Nascite e riconoscimenti"),
                ],
            ),
            (
                "elettorale",
                "Servizi elettorali",
                [
                    ("tessera-elettorale", "Tessera elettorale"),
                    ("scrutatori", "Albo scrutatori e presidenti"),
                ],
            ),
            ("appuntamenti-anagrafe", "Appuntamenti agli sportelli", []),
        ],
    ),
    (
        "tributi",
        "Tributi",
        [
            (
                "tari",
                "TARI - tassa rifiuti",
                [
                    ("tari-dichiarazione", "Dichiarazione"),
                    ("tari-pagamento", "Pagamento e avvisi"),
                    ("tari-rimborso", "Rimborsi e sgravi"),
                    ("tari-accertamento", "Avvisi di accertamento"),
                ],
            ),
            (
                "imu",
                "IMU",
                [("imu-pagamento", "Pagamento"), ("imu-esenzioni", "Esenzioni e agevolazioni")],
            ),
            (
                "canone-unico",
                "Canone unico patrimoniale",
                [
                    ("passi-carrai", "Passi carrai"),
                    ("occupazione-suolo", "Occupazione suolo pubblico"),
                ],
            ),
        ],
    ),
    (
        "polizia-locale",
        "Polizia Locale",
        [
            (
                "sanzioni",
                "Sanzioni e verbali",
                [
                    ("verbali-pagamento", "Pagamento verbali"),
                    ("verbali-ricorsi", "Ricorsi"),
                    ("rimozione-veicoli", "Rimozione veicoli"),
                ],
            ),
            (
                "segnalazioni-pl",
                "Segnalazioni",
                [
                    ("sosta-irregolare", "Sosta irregolare"),
                    ("quiete-pubblica", "Disturbo della quiete"),
                ],
            ),
            ("oggetti-smarriti", "Oggetti smarriti", []),
        ],
    ),
    (
        "sociale",
        "Sociale",
        [
            (
                "contributi",
                "Contributi e bonus",
                [
                    ("contributo-affitto", "Contributo affitto"),
                    ("buoni-spesa", "Buoni spesa"),
                    ("bonus-famiglie", "Bonus famiglie"),
                ],
            ),
            (
                "anziani",
                "Anziani",
                [
                    ("assistenza-domiciliare", "Assistenza domiciliare"),
                    ("custodi-sociali", "Custodi sociali"),
                ],
            ),
            ("disabilita", "Disabilità", [("trasporto-disabili", "Trasporto disabili")]),
        ],
    ),
    (
        "mobilita",
        "Mobilità",
        [
            (
                "pass-sosta",
                "Pass sosta",
                [
                    ("pass-residenti", "Permesso residenti"),
                    ("pass-rinnovo", "Rinnovo permesso"),
                    ("contrassegno-disabili", "Contrassegno disabili"),
                ],
            ),
            (
                "area-b-c",
                "Area B e Area C",
                [("area-c-ingressi", "Ingressi Area C"), ("area-b-deroghe", "Deroghe Area B")],
            ),
            ("trasporto-pubblico", "Trasporto pubblico", []),
        ],
    ),
    (
        "educazione",
        "Educazione",
        [
            (
                "iscrizione-nidi",
                "Iscrizione nidi",
                [
                    ("nidi-domanda", "Domanda di iscrizione"),
                    ("nidi-graduatorie", "Graduatorie"),
                ],
            ),
            (
                "refezione",
                "Refezione scolastica",
                [("refezione-rette", "Rette"), ("refezione-diete", "Diete speciali")],
            ),
            ("scuole-infanzia", "Scuole dell'infanzia", []),
        ],
    ),
    (
        "numeri-utili",
        "Numeri utili e contatti",
        [
            ("orari-uffici", "Orari e sedi degli uffici", []),
            ("contatti", "Contatti e numeri utili", []),
        ],
    ),
    (
        "ambiente",
        "Ambiente e verde",
        [
            ("verde-pubblico", "Verde pubblico", []),
            ("rifiuti-ingombranti", "Rifiuti ingombranti", []),
            ("animali", "Animali", []),
        ],
    ),
    (
        "casa",
        "Casa",
        [
            ("case-popolari", "Case popolari", []),
            ("emergenza-abitativa", "Emergenza abitativa", []),
        ],
    ),
    ("altro", "Altro", [("altro-generico", "Altre richieste", [])]),
]

# Share of contacts per area in 2021 (DESIGN §1), with the 9 % the report leaves unnamed.
AREA_SHARES: dict[str, float] = {
    "anagrafe": 0.33,
    "tributi": 0.16,
    "polizia-locale": 0.15,
    "sociale": 0.12,
    "mobilita": 0.08,
    "educazione": 0.03,
    "numeri-utili": 0.02,
    "altro": 0.02,
    "ambiente": 0.05,
    "casa": 0.04,
}


def load(theme_model: type) -> int:
    """Create or update the taxonomy rows; return how many nodes there are."""
    count = 0
    for position, (area_code, area_name, themes) in enumerate(TAXONOMY):
        area = _upsert(theme_model, area_code, area_name, None, position)
        count += 1
        for theme_position, (theme_code, theme_name, topics) in enumerate(themes):
            theme = _upsert(theme_model, theme_code, theme_name, area, theme_position)
            count += 1
            for topic_position, (topic_code, topic_name) in enumerate(topics):
                _upsert(theme_model, topic_code, topic_name, theme, topic_position)
                count += 1
    return count


def _upsert(model: type, code: str, name: str, parent: object, position: int) -> object:
    # Migrations hand us the historical model, whose save() does not compute level and path.
    level = 1 if parent is None else parent.level + 1  # type: ignore[attr-defined]
    path = f"{parent.path if parent is not None else '/'}{code}/"  # type: ignore[attr-defined]
    node, _ = model.objects.update_or_create(  # type: ignore[attr-defined]
        code=code,
        defaults={
            "name": name,
            "parent": parent,
            "level": level,
            "path": path,
            "position": position,
        },
    )
    return node
