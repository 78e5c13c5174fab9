"""What citizens ask about each topic of the taxonomy, in their words, and how the city answers.

One entry per leaf of the taxonomy (a topic, or a theme without topics): its popularity within
its area, its kind profile (`info`, `check`, `report`, `booking`: see texts.py), a summary an
operator would write as a subject, what a citizen writes, and the answer. Placeholders are filled
by texts.py: {date} {address} {amount} {year} {plate} {number} {municipio} {school} {days}.
All names, numbers and addresses that fill them are fake; the street names are real Milan streets.
"""

from __future__ import annotations

from ascolto.demo.bank_civic import CIVIC, Entry
from ascolto.demo.bank_welfare import WELFARE

# code: (weight, profile, summaries, requests, answers)
BANK: dict[str, Entry] = {**CIVIC, **WELFARE}

STREETS: tuple[str, ...] = (
    "via Padova", "viale Monza", "corso Buenos Aires", "via Paolo Sarpi", "corso di Porta Ticinese",
    "via Torino", "corso Vercelli", "via Washington", "viale Lombardia", "via Lorenteggio",
    "via Giambellino", "corso San Gottardo", "viale Famagosta", "via dei Missaglia",
    "viale Ortles", "corso Lodi", "viale Umbria", "corso XXII Marzo", "viale Piave",
    "via Mecenate", "viale Forlanini", "via Rombon", "via Feltre", "via Palmanova",
    "viale Fulvio Testi", "viale Ca' Granda", "via Ornato", "via Comasina", "via Novara",
    "via Gallarate", "viale Certosa", "via Mac Mahon", "corso Sempione", "via Canonica",
    "via Procaccini", "viale Jenner", "via Imbonati", "viale Zara", "via Farini",
    "via Bovisasca", "via Bergognone", "via Savona", "via Tortona", "viale Coni Zugna",
    "via Ripamonti", "via Marco d'Agrate", "viale Brenta", "via Bonfadini", "via Cascina Gobba",
    "via Pellegrino Rossi", "via Console Marcello", "via Cenisio", "via Bramante",
    "via Solari", "via Foppa", "viale San Gimignano", "via Inganni", "via Gonin",
    "via Rizzoli", "via Trilussa", "viale Argonne", "via Pitteri", "via Ponte Nuovo",
    "via Carnia", "viale Abruzzi", "via Plinio", "via Nino Bixio", "corso Garibaldi",
    "via Vittor Pisani", "piazzale Loreto", "via Benedetto Marcello", "via Ampère",
    "viale Romagna", "via Teodosio", "via Porpora", "via Stradella", "via Mercadante",
)  # fmt: skip

SCHOOLS: tuple[str, ...] = (
    "via Bottelli", "via Pareto", "via Brunacci", "via Console Marcello", "via Dolci",
    "via Feltre", "viale Puglie", "via Ponte Nuovo", "via Scialoia", "via Vespri Siciliani",
)  # fmt: skip
