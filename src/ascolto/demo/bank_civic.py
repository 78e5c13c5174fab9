"""What citizens ask about civic services, taxes and the local police, and the answers.

Entries of the demo's text bank (see texts_bank.py for their shape and placeholders).
"""

from __future__ import annotations

Entry = tuple[float, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]

CIVIC: dict[str, Entry] = {
    # --- Anagrafe e servizi civici ---------------------------------------------------------
    "cie-rilascio": (
        1.5,
        "booking",
        ("Primo rilascio della carta d'identità elettronica",),
        (
            "Buongiorno, non ho mai avuto la carta d'identità elettronica e ho la vecchia carta "
            "cartacea. Come faccio a richiederla e quali documenti devo portare?",
            "Salve, mio figlio compie 12 anni e deve fare la carta d'identità per la prima volta. "
            "Serve la presenza di entrambi i genitori?",
        ),
        (
            "La carta d'identità elettronica si richiede su appuntamento in uno degli sportelli "
            "anagrafici, prenotando dal portale del Comune. Occorrono una fototessera recente, il "
            "vecchio documento e la tessera sanitaria; il costo è di 22,21 euro.",
            "Per i minori serve l'assenso di entrambi i genitori: possono presentarsi insieme allo "
            "sportello oppure uno dei due può firmare il modulo di assenso allegando il documento.",
        ),
    ),
    "cie-rinnovo": (
        3.0,
        "booking",
        ("Rinnovo della carta d'identità in scadenza",),
        (
            "Buongiorno, la mia carta d'identità scade il {date}, come posso prenotare "
            "l'appuntamento per il rinnovo? Sul sito non trovo date libere.",
            "Salve, devo partire per l'estero e la carta d'identità è scaduta. Esiste un canale "
            "d'urgenza per il rinnovo?",
            "Vorrei sapere se posso rinnovare la carta d'identità in un municipio diverso da "
            "quello di residenza, ad esempio in Municipio {municipio}.",
        ),
        (
            "Il rinnovo si può chiedere dai 180 giorni precedenti la scadenza, prenotando "
            "l'appuntamento online in qualsiasi sede anagrafica della città. Nuove disponibilità "
            "vengono pubblicate ogni lunedì mattina.",
            "Per i casi di urgenza documentata (viaggio, ricovero, concorso) è disponibile lo "
            "sportello senza appuntamento di via Larga 12 dalle 8:30 alle 12:00, portando la prova "
            "dell'urgenza.",
        ),
    ),
    "cie-smarrimento": (
        1.0,
        "info",
        ("Carta d'identità smarrita o rubata",),
        (
            "Mi hanno rubato il portafoglio con la carta d'identità. Ho fatto la denuncia, cosa "
            "devo fare adesso per averne una nuova?",
            "Ho perso la carta d'identità durante un trasloco, serve la denuncia ai Carabinieri "
            "per chiederne il duplicato?",
        ),
        (
            "Con la copia della denuncia di furto o smarrimento può prenotare il duplicato come "
            "per un rinnovo; porti anche un altro documento di riconoscimento, se lo possiede.",
        ),
    ),
    "certificati-online": (
        2.0,
        "info",
        ("Certificati anagrafici online",),
        (
            "Buongiorno, devo scaricare un certificato di residenza ma il sito mi chiede SPID e "
            "io non ce l'ho. Ci sono alternative?",
            "Il certificato di stato di famiglia scaricato online ha valore legale o devo andare "
            "allo sportello per il timbro?",
        ),
        (
            "I certificati anagrafici si scaricano gratis dall'Anagrafe nazionale (ANPR) con SPID, "
            "CIE o CNS e hanno pieno valore legale. Senza identità digitale può richiederli alle "
            "edicole convenzionate o agli sportelli anagrafici.",
        ),
    ),
    "autocertificazione": (
        0.8,
        "info",
        ("Autocertificazione al posto del certificato",),
        (
            "La banca mi chiede un certificato di residenza, ma non basterebbe "
            "un'autocertificazione?",
        ),
        (
            "Le pubbliche amministrazioni e i gestori di pubblici servizi devono accettare "
            "l'autocertificazione; i privati come le banche possono accettarla a loro scelta. Il "
            "modulo è sul portale del Comune.",
        ),
    ),
    "cambio-residenza": (
        2.5,
        "check",
        ("Cambio di residenza da altro comune",),
        (
            "Mi sono trasferito a Milano in {address} e ho presentato la dichiarazione di "
            "residenza {days} giorni fa. Non ho ancora ricevuto la visita dei vigili: è normale?",
            "Buongiorno, vorrei sapere a che punto è la mia pratica di residenza numero {number}.",
        ),
        (
            "La pratica risulta registrata; l'accertamento della Polizia Locale avviene entro 45 "
            "giorni dalla dichiarazione e la residenza decorre dalla data di presentazione.",
            "Abbiamo verificato la pratica {number}: l'accertamento ha avuto esito positivo e la "
            "residenza è confermata. Può già scaricare il certificato online.",
        ),
    ),
    "cambio-indirizzo": (
        1.2,
        "check",
        ("Cambio di indirizzo all'interno di Milano",),
        (
            "Ho cambiato casa restando a Milano, ora abito in {address}. Devo fare qualcosa anche "
            "per la tessera elettorale e per la TARI?",
        ),
        (
            "Il cambio di indirizzo si dichiara online o allo sportello; la tessera elettorale "
            "viene aggiornata d'ufficio con un tagliando, mentre per la TARI va presentata una "
            "dichiarazione di variazione entro 90 giorni.",
        ),
    ),
    "verifiche-anagrafiche": (
        1.0,
        "check",
        ("Verifica della posizione anagrafica",),
        (
            "Mi risulta ancora iscritto nel mio stato di famiglia mio figlio che vive all'estero "
            "da anni. Potete verificare?",
            "Nello stato di famiglia compare una persona che non conosco all'indirizzo {address}.",
        ),
        (
            "Abbiamo avviato la verifica anagrafica; riceverà l'esito per email entro 30 giorni. "
            "Se la persona vive all'estero deve iscriversi all'AIRE tramite il consolato.",
        ),
    ),
    "matrimoni": (
        1.0,
        "booking",
        ("Matrimonio o unione civile in Comune",),
        (
            "Vorremmo sposarci con rito civile a Palazzo Reale il {date}. Come si prenota la sala "
            "e quali sono i costi?",
            "Quali documenti servono per le pubblicazioni di matrimonio se uno dei due è "
            "cittadino straniero?",
        ),
        (
            "Le celebrazioni si prenotano all'ufficio matrimoni dopo le pubblicazioni; le tariffe "
            "delle sale storiche sono pubblicate sul portale. Per il cittadino straniero serve il "
            "nulla osta del proprio consolato, legalizzato e tradotto.",
        ),
    ),
    "nascite": (
        0.8,
        "info",
        ("Dichiarazione di nascita",),
        (
            "Mia figlia è nata tre giorni fa alla clinica Mangiagalli. Possiamo fare la "
            "dichiarazione di nascita in Comune invece che in ospedale?",
        ),
        (
            "La dichiarazione si fa entro 3 giorni in ospedale oppure entro 10 giorni all'ufficio "
            "di stato civile del comune di nascita o di residenza, su appuntamento.",
        ),
    ),
    "tessera-elettorale": (
        1.2,
        "info",
        ("Tessera elettorale esaurita o smarrita",),
        (
            "La mia tessera elettorale ha finito gli spazi per i timbri. Come ne ottengo una nuova "
            "prima delle prossime elezioni?",
        ),
        (
            "Il duplicato o la nuova tessera si ritirano all'ufficio elettorale di via Messina 52 "
            "con un documento d'identità; nei giorni delle elezioni l'ufficio resta aperto fino "
            "alla chiusura dei seggi.",
        ),
    ),
    "scrutatori": (
        0.5,
        "info",
        ("Iscrizione all'albo degli scrutatori",),
        ("Come faccio a iscrivermi all'albo degli scrutatori? C'è una scadenza?",),
        (
            "La domanda di iscrizione all'albo degli scrutatori si presenta online entro il 30 "
            "novembre di ogni anno; l'iscrizione resta valida finché non chiede la cancellazione.",
        ),
    ),
    "appuntamenti-anagrafe": (
        2.0,
        "booking",
        ("Appuntamento agli sportelli anagrafici",),
        (
            "Devo annullare l'appuntamento all'anagrafe del {date}, ma nella mail di conferma non "
            "c'è il link per disdire.",
            "Non trovo appuntamenti disponibili all'anagrafe nelle prossime settimane, come posso "
            "fare?",
        ),
        (
            "L'appuntamento si disdice dal link nella mail di promemoria oppure chiamando lo "
            "020202; abbiamo annullato la prenotazione e liberato lo slot.",
            "Nuove disponibilità vengono rilasciate ogni lunedì; in alternativa gli sportelli dei "
            "municipi accolgono senza appuntamento dalle 8:30 alle 9:30.",
        ),
    ),
    # --- Tributi ---------------------------------------------------------------------------
    "tari-dichiarazione": (
        1.5,
        "check",
        ("Dichiarazione TARI per nuova utenza o variazione",),
        (
            "Ho preso in affitto un appartamento in {address}: entro quando devo presentare la "
            "dichiarazione TARI e dove?",
            "Nell'avviso TARI la superficie indicata è di {days} metri quadri in più rispetto alla "
            "planimetria. Come posso correggerla?",
        ),
        (
            "La dichiarazione TARI si presenta online entro 90 giorni dall'inizio "
            "dell'occupazione; per correggere la superficie alleghi la planimetria catastale e la "
            "pratica verrà ricalcolata.",
        ),
    ),
    "tari-pagamento": (
        2.5,
        "info",
        ("Pagamento dell'avviso TARI",),
        (
            "Non ho ricevuto l'avviso di pagamento della TARI {year}. Come posso pagare prima "
            "della scadenza?",
            "Ho pagato la prima rata della TARI di {amount} euro ma nell'area personale risulta "
            "ancora da pagare.",
            "Posso pagare la TARI in più rate rispetto a quelle indicate nell'avviso?",
        ),
        (
            "Può scaricare l'avviso e il modello pagoPA dall'area personale del portale o "
            "chiederne copia allo 020202; i pagamenti impiegano fino a 10 giorni lavorativi per "
            "comparire come registrati.",
            "Il pagamento risulta ora registrato: la ricevuta pagoPA è sufficiente come prova e "
            "non deve fare altro.",
        ),
    ),
    "tari-rimborso": (
        1.0,
        "check",
        ("Rimborso o sgravio TARI",),
        (
            "Ho pagato due volte la stessa rata TARI per errore, come chiedo il rimborso di "
            "{amount} euro?",
            "Mi sono trasferito a febbraio ma l'avviso TARI è calcolato per tutto l'anno.",
        ),
        (
            "La richiesta di rimborso si presenta online allegando le ricevute; il rimborso viene "
            "disposto entro 180 giorni sull'IBAN indicato.",
        ),
    ),
    "tari-accertamento": (
        0.8,
        "check",
        ("Avviso di accertamento TARI",),
        (
            "Ho ricevuto un avviso di accertamento TARI numero {number} per gli anni passati, ma "
            "ho sempre pagato. Come lo contesto?",
        ),
        (
            "Può presentare istanza di autotutela allegando le ricevute dei pagamenti: l'ufficio "
            "la esamina e, se fondata, annulla l'avviso senza bisogno di ricorso.",
        ),
    ),
    "imu-pagamento": (
        1.0,
        "info",
        ("Pagamento IMU",),
        ("Come calcolo l'IMU su un immobile ereditato quest'anno? La scadenza è il {date}.",),
        (
            "L'IMU si calcola con il simulatore sul portale e si paga con F24; per gli immobili "
            "ereditati è dovuta dagli eredi dalla data del decesso in proporzione alla quota.",
        ),
    ),
    "imu-esenzioni": (
        0.6,
        "check",
        ("Esenzioni e agevolazioni IMU",),
        ("Un appartamento concesso in comodato a mia figlia ha diritto alla riduzione IMU?",),
        (
            "Il comodato a parenti in linea retta dà diritto alla riduzione del 50 per cento se il "
            "contratto è registrato e sono rispettati i requisiti di legge.",
        ),
    ),
    "passi-carrai": (
        0.5,
        "info",
        ("Canone per passo carraio",),
        ("Ho chiuso il passo carraio di {address}: devo ancora pagare il canone?",),
        (
            "Deve presentare la comunicazione di cessazione con la restituzione del cartello; il "
            "canone non è più dovuto dall'anno successivo.",
        ),
    ),
    "occupazione-suolo": (
        0.6,
        "info",
        ("Occupazione di suolo pubblico",),
        ("Devo mettere un ponteggio davanti al civico {address}, come chiedo l'occupazione?",),
        (
            "La concessione per ponteggi si chiede online almeno 10 giorni prima; il canone è "
            "calcolato su superficie e durata.",
        ),
    ),
    # --- Polizia Locale --------------------------------------------------------------------
    "verbali-pagamento": (
        2.0,
        "info",
        ("Pagamento di un verbale",),
        (
            "Ho ricevuto un verbale per la targa {plate}: posso pagarlo con lo sconto del 30 per "
            "cento se lo pago oggi?",
            "Ho pagato il verbale numero {number} ma mi è arrivato un sollecito.",
        ),
        (
            "Lo sconto del 30 per cento vale se paga entro 5 giorni dalla notifica; il pagamento "
            "si fa con pagoPA dal portale inserendo numero e data del verbale.",
            "Il pagamento risulta registrato: il sollecito è partito prima dell'incasso e può "
            "ignorarlo.",
        ),
    ),
    "verbali-ricorsi": (
        1.2,
        "check",
        ("Ricorso contro un verbale",),
        (
            "Ho preso una multa in Area C con la targa {plate} ma avevo il permesso. Come faccio "
            "ricorso?",
        ),
        (
            "Può presentare ricorso al Prefetto entro 60 giorni o al Giudice di pace entro 30; se "
            "il permesso era valido conviene prima chiedere l'annullamento in autotutela.",
        ),
    ),
    "rimozione-veicoli": (
        1.0,
        "info",
        ("Veicolo rimosso",),
        (
            "Non trovo più la mia auto targata {plate} che avevo lasciato in {address}. È stata "
            "rimossa?",
        ),
        (
            "Il veicolo risulta rimosso e custodito al deposito di via Beccaria 19; può ritirarlo "
            "con il libretto e un documento pagando le spese di rimozione.",
        ),
    ),
    "sosta-irregolare": (
        1.5,
        "report",
        ("Sosta irregolare",),
        (
            "C'è un'auto parcheggiata da giorni sul passo carraio di {address}, non riesco a "
            "uscire dal box.",
            "Tutte le sere le auto parcheggiano sulle strisce pedonali in {address}, è pericoloso "
            "per i bambini.",
        ),
        (
            "La segnalazione è stata trasmessa alla centrale operativa: una pattuglia è "
            "intervenuta e ha sanzionato i veicoli in divieto.",
        ),
    ),
    "quiete-pubblica": (
        0.8,
        "report",
        ("Disturbo della quiete pubblica",),
        (
            "Il locale al piano terra di {address} tiene la musica alta fino alle due di notte "
            "tutti i fine settimana.",
        ),
        (
            "La segnalazione è stata inoltrata al nucleo di polizia commerciale, che effettuerà "
            "controlli sugli orari e sulle emissioni sonore del locale.",
        ),
    ),
    "oggetti-smarriti": (
        0.7,
        "info",
        ("Oggetto smarrito",),
        ("Ho perso uno zaino nero sul tram 9 ieri sera. È stato portato agli oggetti smarriti?",),
        (
            "Gli oggetti rinvenuti si cercano nel catalogo online; l'ufficio di via Friuli 30 è "
            "aperto dal lunedì al venerdì dalle 8:30 alle 16.",
        ),
    ),
}
