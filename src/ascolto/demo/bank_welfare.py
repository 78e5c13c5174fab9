"""What citizens ask about social services, mobility, schools, environment and housing, and
the answers.

Entries of the demo's text bank (see texts_bank.py for their shape and placeholders).
"""

from __future__ import annotations

from ascolto.demo.bank_civic import Entry

WELFARE: dict[str, Entry] = {
    # --- Sociale ---------------------------------------------------------------------------
    "contributo-affitto": (
        1.5,
        "check",
        ("Contributo per l'affitto",),
        (
            "Ho presentato la domanda per il contributo affitto il mese scorso ma non so se è "
            "stata accolta. Il numero di protocollo è {number}.",
            "Quali sono i requisiti ISEE per il contributo affitto di quest'anno?",
        ),
        (
            "La domanda {number} è in istruttoria; l'esito sarà pubblicato nell'area personale "
            "entro la fine del mese. Il requisito è un ISEE fino a 26.000 euro.",
        ),
    ),
    "buoni-spesa": (
        1.2,
        "check",
        ("Buoni spesa",),
        (
            "Ho fatto domanda per i buoni spesa ma non ho ricevuto l'sms con il codice. Cosa "
            "devo fare?",
            "Sono disoccupato da {days} giorni, posso chiedere i buoni spesa anche se ho un ISEE "
            "vecchio?",
        ),
        (
            "Il codice viene inviato entro 5 giorni lavorativi dall'accoglimento; abbiamo "
            "verificato la sua domanda e il codice è stato rinviato al numero indicato.",
        ),
    ),
    "bonus-famiglie": (
        1.0,
        "info",
        ("Bonus per le famiglie",),
        ("Ci sono contributi del Comune per le famiglie con tre figli?",),
        (
            "Il Comune eroga il contributo per famiglie numerose con ISEE fino a 20.000 euro; la "
            "domanda si presenta online nei periodi di apertura del bando.",
        ),
    ),
    "assistenza-domiciliare": (
        1.0,
        "check",
        ("Assistenza domiciliare per anziani",),
        (
            "Mia madre ha 87 anni e vive sola in {address}, come si attiva l'assistenza "
            "domiciliare del Comune?",
        ),
        (
            "La richiesta si presenta al servizio sociale del Municipio {municipio}, che fissa un "
            "colloquio e una visita a domicilio per valutare il bisogno.",
        ),
    ),
    "custodi-sociali": (
        0.5,
        "info",
        ("Custodi sociali",),
        ("C'è un custode sociale nel mio caseggiato popolare di {address}?",),
        (
            "I custodi sociali sono presenti nei quartieri di edilizia pubblica; le abbiamo "
            "indicato il recapito del custode di zona.",
        ),
    ),
    "trasporto-disabili": (
        0.7,
        "booking",
        ("Trasporto per persone con disabilità",),
        ("Come si prenota il trasporto per mio fratello in carrozzina per le visite mediche?",),
        (
            "Il servizio si prenota con almeno 3 giorni di anticipo dopo l'iscrizione, presentando "
            "il certificato di invalidità al servizio sociale.",
        ),
    ),
    # --- Mobilità --------------------------------------------------------------------------
    "pass-residenti": (
        1.0,
        "info",
        ("Permesso di sosta per residenti",),
        ("Mi sono appena trasferito in {address}: come richiedo il pass per la sosta residenti?",),
        (
            "Il permesso si chiede online indicando la targa del veicolo intestato o in uso; "
            "viene rilasciato in formato digitale entro 5 giorni lavorativi.",
        ),
    ),
    "pass-rinnovo": (
        1.2,
        "info",
        ("Rinnovo del permesso di sosta",),
        (
            "Il mio pass sosta per la targa {plate} scade a fine mese: il rinnovo è automatico o "
            "devo fare una nuova domanda?",
            "Provo a rinnovare il pass online ma il pagamento non va a buon fine.",
        ),
        (
            "Il rinnovo si fa online dall'area personale pagando il bollo; se il pagamento non "
            "riesce, provi con un altro metodo pagoPA o chiami lo 020202 per un rinnovo assistito.",
        ),
    ),
    "contrassegno-disabili": (
        0.6,
        "check",
        ("Contrassegno per persone con disabilità",),
        ("Il contrassegno disabili di mio padre è scaduto, come lo rinnovo?",),
        (
            "Il rinnovo richiede il certificato del medico curante che attesti il persistere delle "
            "condizioni; il nuovo contrassegno è pronto in circa 15 giorni.",
        ),
    ),
    "area-c-ingressi": (
        1.0,
        "info",
        ("Ingressi in Area C",),
        (
            "Sono entrato in Area C con la targa {plate} e ho dimenticato di pagare, cosa posso "
            "fare?",
        ),
        (
            "Il ticket di Area C si può pagare entro la mezzanotte del settimo giorno successivo "
            "all'ingresso; oltre scatta la sanzione.",
        ),
    ),
    "area-b-deroghe": (
        0.6,
        "check",
        ("Deroghe per Area B",),
        ("Ho un furgone diesel euro 5 per lavoro: ho diritto a una deroga per Area B?",),
        (
            "Le deroghe per veicoli commerciali dipendono da classe e data di immatricolazione; "
            "può verificare e chiedere i 50 ingressi annui dal servizio online Area B.",
        ),
    ),
    "trasporto-pubblico": (
        0.8,
        "report",
        ("Trasporto pubblico",),
        (
            "La fermata del bus in {address} è senza pensilina da mesi e con la pioggia si aspetta "
            "sotto l'acqua.",
            "Il tram 14 ieri sera è passato dopo 40 minuti di attesa.",
        ),
        (
            "La segnalazione è stata trasmessa all'azienda di trasporto pubblico, competente per "
            "il servizio, che ne ha preso carico.",
        ),
    ),
    # --- Educazione ------------------------------------------------------------------------
    "nidi-domanda": (
        1.5,
        "info",
        ("Domanda di iscrizione al nido",),
        (
            "Sto compilando la domanda di iscrizione al nido ma il sistema non accetta il codice "
            "fiscale di mio figlio, nato a gennaio.",
            "Possiamo indicare più di un nido nella domanda? E conta la vicinanza al posto di "
            "lavoro?",
        ),
        (
            "La domanda accetta fino a sei preferenze; i punteggi considerano residenza, lavoro "
            "dei genitori e fratelli già iscritti. Abbiamo corretto l'anagrafica e ora può "
            "procedere.",
        ),
    ),
    "nidi-graduatorie": (
        0.8,
        "check",
        ("Graduatorie dei nidi",),
        ("Nella graduatoria dei nidi mio figlio risulta con un punteggio più basso del dovuto.",),
        (
            "Abbiamo verificato il punteggio: manca la dichiarazione di lavoro del secondo "
            "genitore. Può integrarla online entro 10 giorni.",
        ),
    ),
    "refezione-rette": (
        1.2,
        "info",
        ("Retta della refezione scolastica",),
        (
            "Come si paga la retta della mensa di {school}? Mi risulta un arretrato di {amount} "
            "euro.",
        ),
        (
            "La retta si paga con pagoPA dall'area personale; l'arretrato indicato si riferisce "
            "al trimestre precedente ed è visibile nel dettaglio dei pagamenti.",
        ),
    ),
    "refezione-diete": (
        0.6,
        "info",
        ("Diete speciali in mensa",),
        ("Mia figlia è celiaca: come chiedo la dieta speciale alla mensa di {school}?",),
        (
            "La dieta sanitaria si chiede online allegando il certificato medico; è attiva entro "
            "5 giorni lavorativi.",
        ),
    ),
    "scuole-infanzia": (
        0.7,
        "info",
        ("Scuole dell'infanzia comunali",),
        ("Quando si aprono le iscrizioni alla scuola dell'infanzia comunale per settembre?",),
        (
            "Le iscrizioni alla scuola dell'infanzia si fanno online a gennaio, insieme a quelle "
            "delle scuole statali.",
        ),
    ),
    # --- Numeri utili, ambiente, casa, altro -----------------------------------------------
    "orari-uffici": (
        1.5,
        "info",
        ("Orari e sedi degli uffici",),
        ("Qual è l'orario dell'anagrafe del Municipio {municipio} il sabato?",),
        (
            "Le sedi anagrafiche dei municipi sono aperte dal lunedì al venerdì dalle 8:30 alle "
            "15:30; il sabato è aperta solo la sede centrale di via Larga 12.",
        ),
    ),
    "contatti": (
        1.0,
        "info",
        ("Contatti e numeri utili",),
        ("Mi date il numero dell'ufficio che si occupa dei permessi per i traslochi?",),
        (
            "Le abbiamo indicato i recapiti dell'ufficio competente; trova tutti i contatti nella "
            "rubrica degli uffici sul portale.",
        ),
    ),
    "verde-pubblico": (
        1.5,
        "report",
        ("Verde pubblico",),
        (
            "Un ramo grosso di un platano in {address} è spezzato e pende sul marciapiede.",
            "L'erba nel giardino pubblico di {address} non viene tagliata da mesi.",
        ),
        (
            "La segnalazione è stata presa in carico dal servizio Verde: la squadra ha messo in "
            "sicurezza l'albero e programmato la potatura.",
        ),
    ),
    "rifiuti-ingombranti": (
        1.5,
        "report",
        ("Rifiuti ingombranti",),
        (
            "Qualcuno ha abbandonato un materasso e un divano in {address}.",
            "Come prenoto il ritiro gratuito di un armadio a domicilio?",
        ),
        (
            "La segnalazione è stata inoltrata al gestore del servizio rifiuti, che ritira gli "
            "ingombranti abbandonati entro 3 giorni lavorativi.",
        ),
    ),
    "animali": (
        0.8,
        "report",
        ("Animali",),
        (
            "C'è un cane che abbaia chiuso su un balcone in {address} da due giorni.",
            "Ho trovato un gatto ferito in {address}, chi posso chiamare?",
        ),
        (
            "La segnalazione è stata trasmessa al nucleo tutela animali, che effettuerà un "
            "sopralluogo.",
        ),
    ),
    "case-popolari": (
        1.2,
        "check",
        ("Case popolari",),
        (
            "Ho fatto domanda di casa popolare nel {year} con protocollo {number}, a che punto "
            "sono in graduatoria?",
            "Nel caseggiato popolare di {address} l'ascensore è fermo da tre settimane.",
        ),
        (
            "La sua domanda {number} è in graduatoria; la posizione aggiornata è consultabile "
            "nell'area personale del portale dei servizi abitativi.",
        ),
    ),
    "emergenza-abitativa": (
        0.8,
        "check",
        ("Emergenza abitativa",),
        ("Ho ricevuto lo sfratto esecutivo per il {date} e ho due figli piccoli. Chi mi aiuta?",),
        (
            "Le abbiamo fissato un colloquio con il servizio emergenza abitativa, che valuterà le "
            "soluzioni temporanee e i contributi disponibili.",
        ),
    ),
    "altro-generico": (
        1.0,
        "info",
        ("Altra richiesta",),
        (
            "Vorrei sapere a chi rivolgermi per organizzare una festa di via in {address}.",
            "Buongiorno, il sito del Comune non si apre dal telefono da stamattina.",
        ),
        ("Le abbiamo indicato l'ufficio competente e la modulistica da utilizzare.",),
    ),
}
