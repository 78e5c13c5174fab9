# ruff: noqa: E501  (a data module: the texts read better unbroken)
"""Public knowledge articles of the demo city, suggested on Scrivi while a citizen types, and its
two alerts on current topics.

About thirty answers to the questions citizens ask most, across the main themes of the taxonomy
(tickets/taxonomy.py). The wording is the demo city's; procedures follow what Italian
municipalities commonly publish, and amounts and deadlines are illustrative.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ascolto.knowledge.models import Alert, Article
from ascolto.tickets.models import Theme

# (slug, theme code, title, summary, keywords, body)
ARTICLES: list[tuple[str, str, str, str, str, str]] = [
    (
        "carta-identita-elettronica-come-richiederla",
        "cie-rilascio",
        "Carta d'identità elettronica: come richiederla",
        "Si prenota online l'appuntamento in anagrafe; servono una fototessera recente e il codice fiscale.",
        "carta identità, CIE, documento, prenotazione, fototessera",
        "La carta d'identità elettronica (CIE) si richiede in anagrafe su appuntamento.\n\n"
        "Prenota dal portale del Comune, porta una fototessera recente, la tessera sanitaria e la "
        "carta scaduta o la denuncia di smarrimento. Il costo è di 22,21 euro, pagabili allo sportello.\n\n"
        "La carta arriva per posta all'indirizzo indicato entro sei giorni lavorativi.",
    ),
    (
        "carta-identita-rinnovo",
        "cie-rinnovo",
        "Rinnovare la carta d'identità",
        "Il rinnovo si chiede nei 180 giorni prima della scadenza, con le stesse modalità del primo rilascio.",
        "rinnovo, scadenza, carta identità, CIE",
        "Puoi rinnovare la carta d'identità dai 180 giorni prima della scadenza.\n\n"
        "La carta cartacea non è più valida per l'espatrio dal 3 agosto 2026: sostituiscila con la CIE.",
    ),
    (
        "carta-identita-furto-smarrimento",
        "cie-smarrimento",
        "Carta d'identità rubata o smarrita",
        "Denuncia il furto o lo smarrimento alle forze dell'ordine, poi prenota la nuova carta.",
        "furto, smarrimento, denuncia, persa, rubata, carta identità",
        "Presenta denuncia ai Carabinieri o alla Polizia di Stato.\n\n"
        "Con la denuncia prenota in anagrafe il rilascio di una nuova carta d'identità elettronica.",
    ),
    (
        "certificati-anagrafici-online",
        "certificati-online",
        "Certificati anagrafici online",
        "Residenza, stato di famiglia e altri certificati si scaricano gratis dall'Anagrafe nazionale (ANPR) con SPID o CIE.",
        "certificato, residenza, stato famiglia, ANPR, SPID, online",
        "Dal portale dell'Anagrafe nazionale (ANPR) puoi scaricare gratuitamente, con SPID o CIE, i "
        "certificati anagrafici per te e per la tua famiglia.\n\nI certificati online non hanno "
        "marca da bollo nei casi di esenzione previsti dalla legge.",
    ),
    (
        "autocertificazione",
        "autocertificazione",
        "Quando basta l'autocertificazione",
        "Con le pubbliche amministrazioni e i gestori di pubblici servizi i certificati si sostituiscono con un'autocertificazione.",
        "autocertificazione, dichiarazione sostitutiva, certificato",
        "Le pubbliche amministrazioni non possono chiederti certificati: basta una dichiarazione "
        "sostitutiva (autocertificazione) firmata.\n\nI moduli sono sul portale del Comune.",
    ),
    (
        "cambio-residenza",
        "cambio-residenza",
        "Cambio di residenza",
        "La dichiarazione si presenta online o allo sportello entro 20 giorni dal trasferimento; la Polizia Locale verifica la dimora.",
        "residenza, trasferimento, trasloco, cambio, dichiarazione",
        "Presenta la dichiarazione di residenza entro 20 giorni dal trasferimento, online con SPID "
        "o allo sportello.\n\nEntro 45 giorni la Polizia Locale verifica che tu abiti all'indirizzo "
        "dichiarato: se non ricevi comunicazioni, la residenza è confermata.",
    ),
    (
        "cambio-indirizzo",
        "cambio-indirizzo",
        "Cambio di indirizzo nello stesso Comune",
        "Chi si sposta all'interno della città presenta la stessa dichiarazione del cambio di residenza.",
        "indirizzo, via, trasloco, stesso comune",
        "Anche un trasloco all'interno della città va dichiarato entro 20 giorni, con la stessa "
        "procedura del cambio di residenza.",
    ),
    (
        "matrimonio-civile",
        "matrimoni",
        "Sposarsi in Comune o unirsi civilmente",
        "Si prenotano le pubblicazioni e la data della celebrazione; le unioni civili seguono una procedura analoga.",
        "matrimonio, nozze, unione civile, pubblicazioni, celebrazione",
        "Prenota l'appuntamento per le pubblicazioni di matrimonio o per la richiesta di unione civile.\n\n"
        "Scegli poi la sala e la data della celebrazione; i costi dipendono dalla sede.",
    ),
    (
        "tessera-elettorale",
        "tessera-elettorale",
        "Tessera elettorale: duplicato e spazi esauriti",
        "Una nuova tessera si chiede all'ufficio elettorale, anche nei giorni delle elezioni.",
        "tessera elettorale, voto, elezioni, duplicato, timbri",
        "Se hai esaurito gli spazi, perso o rovinato la tessera elettorale, chiedine una nuova "
        "all'ufficio elettorale con un documento d'identità.\n\nNei giorni delle elezioni l'ufficio "
        "resta aperto con orario continuato.",
    ),
    (
        "appuntamenti-anagrafe",
        "appuntamenti-anagrafe",
        "Prenotare un appuntamento in anagrafe",
        "Gli appuntamenti si prenotano online o chiamando lo 020202; si possono disdire fino al giorno prima.",
        "appuntamento, prenotazione, sportello, anagrafe, disdetta",
        "Prenota online scegliendo servizio, sede, giorno e ora, oppure chiama lo 020202.\n\n"
        "Se non puoi venire, disdici dal link nell'email di conferma: libererai il posto per altri.",
    ),
    (
        "tari-come-pagare",
        "tari-pagamento",
        "TARI: come pagare la tassa rifiuti",
        "L'avviso arriva a casa con i moduli pagoPA; si paga in due rate o in un'unica soluzione.",
        "TARI, rifiuti, tassa, pagare, pagamento, pagoPA, avviso, rata",
        "L'avviso di pagamento della TARI arriva per posta o PEC con i moduli pagoPA.\n\n"
        "Puoi pagare in banca, alle poste, dal tabaccaio o online con l'app IO. Le scadenze sono "
        "indicate sull'avviso.",
    ),
    (
        "tari-dichiarazione",
        "tari-dichiarazione",
        "TARI: dichiarare una nuova utenza o una variazione",
        "Chi occupa un immobile lo dichiara entro 90 giorni; vanno dichiarati anche cambi di superficie e cessazioni.",
        "TARI, dichiarazione, utenza, superficie, cessazione, immobile",
        "Presenta la dichiarazione TARI online entro 90 giorni dall'inizio dell'occupazione, da una "
        "variazione di superficie o dalla cessazione.\n\nServono i dati catastali e la superficie calpestabile.",
    ),
    (
        "tari-rimborso",
        "tari-rimborso",
        "TARI: rimborsi e riduzioni",
        "Chi ha pagato due volte o più del dovuto chiede il rimborso entro cinque anni; alcune famiglie hanno diritto a riduzioni.",
        "TARI, rimborso, riduzione, agevolazione, pagato due volte, sgravio",
        "Chiedi il rimborso della TARI pagata in eccesso entro cinque anni dal pagamento, allegando "
        "le ricevute.\n\nRiduzioni sono previste per chi vive da solo, per il compostaggio domestico "
        "e per le famiglie con ISEE basso.",
    ),
    (
        "tari-accertamento",
        "tari-accertamento",
        "Ho ricevuto un avviso di accertamento TARI",
        "L'avviso segnala un'omessa o infedele dichiarazione o un mancato pagamento; si può chiedere il riesame.",
        "accertamento, avviso, TARI, sanzione, riesame, ricorso",
        "Se ritieni l'avviso sbagliato, chiedi il riesame in autotutela allegando i documenti.\n\n"
        "Il ricorso alla Corte di giustizia tributaria va presentato entro 60 giorni dalla notifica.",
    ),
    (
        "imu-pagamento",
        "imu-pagamento",
        "IMU: chi paga e quando",
        "L'IMU si paga sugli immobili diversi dall'abitazione principale, in acconto a giugno e a saldo a dicembre.",
        "IMU, imposta, immobili, seconda casa, F24, acconto, saldo",
        "L'IMU è dovuta da chi possiede immobili diversi dall'abitazione principale.\n\nSi paga con "
        "F24 in due rate: acconto entro il 16 giugno e saldo entro il 16 dicembre.",
    ),
    (
        "passo-carraio",
        "passi-carrai",
        "Passo carraio: richiesta e canone",
        "Il passo carraio si chiede con una domanda online; il canone annuale dipende dalla larghezza dell'accesso.",
        "passo carraio, cartello, accesso, canone, autorizzazione",
        "Presenta la domanda di autorizzazione online con la planimetria dell'accesso.\n\n"
        "Il canone unico si paga ogni anno; il cartello va ritirato dopo l'autorizzazione.",
    ),
    (
        "verbali-pagamento",
        "verbali-pagamento",
        "Pagare una multa",
        "Con il pagamento entro 5 giorni dalla notifica si ha lo sconto del 30 %; si paga con pagoPA.",
        "multa, verbale, contravvenzione, pagare, sconto, pagoPA",
        "Le multe si pagano con pagoPA usando il codice avviso sul verbale.\n\nEntro 5 giorni dalla "
        "notifica l'importo è ridotto del 30 %; dopo 60 giorni è dovuta la metà del massimo.",
    ),
    (
        "verbali-ricorso",
        "verbali-ricorsi",
        "Fare ricorso contro una multa",
        "Il ricorso va al Prefetto entro 60 giorni o al Giudice di pace entro 30 giorni dalla notifica.",
        "ricorso, multa, verbale, prefetto, giudice di pace, contestare",
        "Puoi presentare ricorso al Prefetto entro 60 giorni, oppure al Giudice di pace entro 30 "
        "giorni dalla notifica del verbale.\n\nIl ricorso non sospende i termini dello sconto.",
    ),
    (
        "auto-rimossa",
        "rimozione-veicoli",
        "L'auto è stata rimossa: dove ritirarla",
        "Chiama la centrale della Polizia Locale per sapere in quale deposito si trova il veicolo.",
        "rimozione, carro attrezzi, auto, deposito, ritiro, veicolo",
        "Se l'auto non è più dove l'avevi lasciata, chiama la centrale operativa della Polizia "
        "Locale: ti dirà se è stata rimossa e in quale deposito ritirarla.\n\nPorta il libretto e un "
        "documento d'identità.",
    ),
    (
        "oggetti-smarriti",
        "oggetti-smarriti",
        "Oggetti smarriti",
        "Gli oggetti trovati in città e sui mezzi pubblici sono conservati dall'ufficio oggetti smarriti.",
        "oggetti smarriti, perso, trovato, portafoglio, chiavi",
        "Cerca l'oggetto nell'elenco online dell'ufficio oggetti smarriti o chiama lo 020202.\n\n"
        "Per il ritiro servono un documento e una descrizione dell'oggetto.",
    ),
    (
        "contributo-affitto",
        "contributi",
        "Contributi per l'affitto e le bollette",
        "Le famiglie con ISEE basso possono chiedere un contributo quando il bando è aperto.",
        "contributo, affitto, bollette, sostegno, ISEE, bando",
        "Il Comune apre ogni anno bandi per i contributi all'affitto e alle utenze.\n\nServono un "
        "ISEE valido e il contratto di locazione registrato.",
    ),
    (
        "assistenza-domiciliare-anziani",
        "anziani",
        "Assistenza domiciliare per le persone anziane",
        "Il servizio di assistenza a domicilio si chiede al servizio sociale del proprio municipio.",
        "anziani, assistenza domiciliare, badante, pasti, servizio sociale",
        "Per l'assistenza a domicilio, i pasti a casa o il telesoccorso rivolgiti al servizio sociale "
        "professionale territoriale del tuo municipio.",
    ),
    (
        "contrassegno-disabili",
        "disabilita",
        "Contrassegno per persone con disabilità",
        "Il contrassegno europeo si chiede con il certificato medico-legale; vale cinque anni.",
        "contrassegno, disabili, parcheggio, invalidità, permesso",
        "Il contrassegno di parcheggio per persone con disabilità si chiede online con il "
        "certificato dell'ufficio medico-legale dell'ASL.\n\nVale cinque anni e si rinnova con un "
        "certificato del medico curante.",
    ),
    (
        "permesso-sosta-residenti",
        "pass-sosta",
        "Permesso di sosta per residenti",
        "I residenti sostano nelle strisce gialle del proprio ambito con il permesso, da rinnovare ogni anno.",
        "permesso, sosta, residenti, strisce gialle, parcheggio, pass",
        "Il permesso di sosta per residenti si chiede online indicando la targa.\n\nVale per l'ambito "
        "di residenza e si rinnova ogni anno.",
    ),
    (
        "area-b-area-c",
        "area-b-c",
        "Zone a traffico limitato: Area B e Area C",
        "L'ingresso è controllato da telecamere; alcuni veicoli sono esclusi e altri pagano un ticket.",
        "Area B, Area C, ZTL, telecamere, ticket, ingresso, deroga",
        "Gli ingressi nelle zone a traffico limitato sono registrati dalle telecamere.\n\nIl ticket "
        "giornaliero si attiva entro la mezzanotte del giorno successivo; le deroghe si chiedono online.",
    ),
    (
        "iscrizione-nido",
        "iscrizione-nidi",
        "Iscrizione al nido d'infanzia",
        "Le iscrizioni si presentano online nel periodo del bando; la graduatoria esce a maggio.",
        "nido, asilo nido, iscrizione, graduatoria, bambini, retta",
        "La domanda d'iscrizione ai nidi comunali si presenta online nel periodo indicato dal "
        "bando.\n\nLa retta dipende dall'ISEE; la graduatoria è pubblicata sul portale.",
    ),
    (
        "refezione-scolastica",
        "refezione",
        "Mensa scolastica: iscrizione e tariffe",
        "L'iscrizione alla refezione si rinnova ogni anno; la tariffa ridotta si chiede con l'ISEE.",
        "mensa, refezione, scuola, pasti, tariffa, dieta",
        "Iscrivi i tuoi figli alla refezione scolastica online.\n\nPer una dieta speciale presenta il "
        "certificato medico; per la tariffa ridotta un ISEE valido.",
    ),
    (
        "orari-sedi-uffici",
        "orari-uffici",
        "Orari e sedi degli uffici comunali",
        "Orari, indirizzi e servizi di ogni sportello sono sul portale; molti servizi richiedono l'appuntamento.",
        "orari, sedi, uffici, sportelli, aperto, indirizzo",
        "Trovi orari e indirizzi degli uffici sul portale del Comune.\n\nMolti sportelli ricevono solo "
        "su appuntamento: prenota prima di andare.",
    ),
    (
        "numeri-utili-emergenze",
        "orari-uffici",
        "Numeri utili ed emergenze",
        "Emergenze: 112. Polizia locale: 02 0208. Contact center del Comune: 020202. Guardia medica: 116117.",
        "numeri utili, emergenze, 112, polizia locale, guardia medica, contact center, telefono",
        "Per un'emergenza chiama il 112, il numero unico europeo.\n\n"
        "Polizia locale: 02 0208, a ogni ora. Contact center del Comune: 020202, dal lunedì al "
        "sabato dalle 8 alle 20. Guardia medica: 116117, di notte e nei giorni festivi.",
    ),
    (
        "rifiuti-ingombranti",
        "rifiuti-ingombranti",
        "Ritiro gratuito dei rifiuti ingombranti",
        "Mobili ed elettrodomestici si portano alle riciclerie o si prenota il ritiro gratuito a domicilio.",
        "ingombranti, rifiuti, mobili, elettrodomestici, ritiro, ricicleria",
        "Prenota il ritiro gratuito degli ingombranti a domicilio, fino a cinque pezzi, oppure "
        "portali a una ricicleria comunale.\n\nI rifiuti abbandonati in strada si segnalano con "
        "Scrivi o allo 020202.",
    ),
    (
        "verde-pubblico-segnalazioni",
        "verde-pubblico",
        "Alberi, parchi e aiuole: segnalare un problema",
        "Rami pericolosi, giochi rotti o aiuole da curare si segnalano indicando il luogo preciso.",
        "albero, rami, parco, giardino, aiuola, giochi, verde",
        "Per un albero pericolante chiama subito il 112.\n\nPer gli altri problemi del verde "
        "pubblico scrivi una segnalazione indicando via e numero civico o un punto di riferimento.",
    ),
    (
        "animali-anagrafe-canina",
        "animali",
        "Anagrafe canina e animali smarriti",
        "Il cane va iscritto all'anagrafe canina con il microchip; un animale smarrito si segnala subito.",
        "cane, gatto, microchip, anagrafe canina, animale smarrito",
        "Iscrivi il cane all'anagrafe canina entro 60 giorni dalla nascita o dall'adozione, con il "
        "microchip applicato dal veterinario.\n\nSe il tuo animale si è perso, segnalalo al canile "
        "comunale e alla Polizia Locale.",
    ),
    (
        "case-popolari-domanda",
        "case-popolari",
        "Case popolari: come fare domanda",
        "La domanda di alloggio pubblico si presenta online quando l'avviso è aperto, con ISEE e SPID.",
        "casa popolare, alloggio, ERP, graduatoria, domanda, affitto",
        "Le domande per gli alloggi di edilizia residenziale pubblica si presentano online durante "
        "gli avvisi pubblici.\n\nServono SPID, un ISEE valido e la residenza o il lavoro in regione.",
    ),
]


def seed_articles() -> int:
    """Create or update the demo city's public articles; return how many there are."""
    themes = {t.code: t for t in Theme.objects.filter(code__in={a[1] for a in ARTICLES})}
    now = timezone.now()
    for slug, theme, title, summary, keywords, body in ARTICLES:
        Article.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "summary": summary[:300],
                "keywords": keywords[:300],
                "body": body,
                "theme": themes.get(theme),
                "audience": Article.Audience.PUBLIC,
                "is_published": True,
                "updated_at": now,
            },
        )
    return len(ARTICLES)


# Two alerts on current topics (docs/alerts.md), placed around the day the demo is seeded:
# (title, theme code, text, link, priority, days from now it started, days it lasts, channels)
ALERTS: list[tuple[str, str, str, str, int, int, int, tuple[str, ...]]] = [
    (
        "Sciopero dei mezzi pubblici",
        "",
        "Nei giorni dello sciopero metropolitana, tram e autobus possono fermarsi dalle 8.45 alle 15 e dopo le 18. Gli uffici comunali restano aperti.",
        "https://www.comune.example.it/notizie/sciopero-trasporti",
        Alert.Priority.URGENT,
        -1,
        5,
        ("whatsapp", "web", "console"),
    ),
    (
        "TARI: la rata scade a fine mese",
        "tari-pagamento",
        "L'avviso di pagamento è arrivato per posta e si trova anche nel Fascicolo del cittadino. Si paga con pagoPA.",
        "https://www.comune.example.it/servizi/tari",
        Alert.Priority.INFO,
        -3,
        30,
        ("whatsapp", "web", "console"),
    ),
]


def seed_alerts() -> int:
    """Create or update the demo city's two current alerts (by title); return how many."""
    from ascolto.knowledge.alerts import forget_cached_alerts

    now = timezone.now().replace(second=0, microsecond=0)
    themes = {t.code: t for t in Theme.objects.filter(code__in={a[1] for a in ALERTS if a[1]})}
    for title, theme, text, link, priority, started, days, channels in ALERTS:
        starts_at = now + timedelta(days=started)
        Alert.objects.update_or_create(
            title=title,
            defaults={
                "text": text,
                "link": link,
                "theme": themes.get(theme),
                "priority": priority,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(days=days),
                **{f"on_{c}": c in channels for c in Alert.Channel.values},
                "updated_at": now,
            },
        )
    forget_cached_alerts()
    return len(ALERTS)
