//! Intents: what the author means to do or wants, each with the words (cue) that show it.
//!
//! Cue patterns per language, with the exceptions that matter for precision: negated
//! recommendations ("would not recommend", "ei soovita") and "recommend staying away" are
//! complaints; "can anyone recommend" is a question; rhetorical questions carrying a complaint
//! are complaints, not questions; somebody else switching ("my friend switched to") is not a
//! churn risk; "no problems at all" is praise, not a complaint.

use std::sync::LazyLock;

use regex_automata::{Input, MatchKind, PatternSet, meta, util::syntax};
use serde::Serialize;

use super::cue::Cue;
use super::prefilter::Prefilter;
use super::{Lang, Sentiment};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    Praise,
    Recommendation,
    Complaint,
    ChurnRisk,
    Question,
}

impl IntentKind {
    pub const ALL: [IntentKind; 5] = [
        IntentKind::Praise,
        IntentKind::Recommendation,
        IntentKind::Complaint,
        IntentKind::ChurnRisk,
        IntentKind::Question,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntentKind::Praise => "praise",
            IntentKind::Recommendation => "recommendation",
            IntentKind::Complaint => "complaint",
            IntentKind::ChurnRisk => "churn_risk",
            IntentKind::Question => "question",
        }
    }

    pub fn parse(s: &str) -> Option<IntentKind> {
        IntentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One intent and the words that triggered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intent {
    pub kind: IntentKind,
    pub cue: String,
}

struct Patterns {
    praise: Cue,
    recommendation: Cue,
    /// Imperatives that give advice right after a comma, colon or semicolon ("if you edit
    /// photos, get Lightroom"), each with its trailing space; see `imperative_after_break`.
    imperatives: &'static [&'static str],
    /// Recommendation turned into a warning: "recommend staying away", "ei soovita".
    anti_recommendation: Cue,
    /// Complaint cues that hold whatever the overall tone.
    complaint: Cue,
    /// Complaint cues that also occur in happy stories ("replaced my broken kettle", "fixed
    /// the outage in an hour"): they count only when the text is not positive overall.
    complaint_weak: Cue,
    /// Praise words used ironically ("oh wonderful", 🙃): a complaint, never praise.
    sarcasm: Cue,
    /// A complaint cue that is denied: "no problems at all", "doesn't suck", "pole viga".
    no_complaint: Cue,
    /// A denial that only softens ("not too expensive", "ei ole liiga kallis"): no complaint,
    /// and no praise either.
    hedged_denial: Cue,
    churn: Cue,
    /// Somebody other than the author is the subject of a churn cue.
    third_party: Cue,
    /// Reported speech and warnings ("my sister said", "sõbranna rääkis, et", "X hoiatab:"):
    /// what follows in the sentence is someone else's story, not the author's complaint.
    hearsay: Cue,
    question_start: Cue,
    /// Questions that seek information even when the author is unhappy ("how do I dispute").
    info_question: Cue,
    /// Rhetorical openings that are not questions to answer ("does anyone else remember").
    rhetorical: Cue,
    /// Asking for a recommendation.
    ask_recommendation: Cue,
    negated_praise: Cue,
    /// The problem was solved ("fixed the outage", "lahendas mu mure"): weak cues then tell a
    /// success story, not a complaint.
    resolved: Cue,
}

fn re(pattern: &str) -> Cue {
    Cue::new(pattern, true, true)
}

/// English cues are ASCII words, so ASCII word boundaries and classes do: they keep the regex
/// engine on its fast DFA even when a post holds emoji or accented names (Unicode `\b` would
/// fall back to a backtracking engine there).
fn re_en(pattern: &str) -> Cue {
    Cue::new(&ascii_classes(pattern), false, true)
}

/// `re_en` for the long English cue lists, searched without a literal prefilter (see `Cue`).
fn re_en_long(pattern: &str) -> Cue {
    Cue::new(&ascii_classes(pattern), false, false)
}

/// The ASCII forms of `\b`, `\w`, `\W`, `\d` for the (lowercased) English patterns: the
/// Unicode classes hold thousands of ranges and make the automaton many times larger.
fn ascii_classes(pattern: &str) -> String {
    pattern
        .replace(r"\b", r"(?-u:\b)")
        .replace(r"\w", "[0-9a-z_]")
        .replace(r"\W", "[^0-9a-z_]")
        .replace(r"\d", "[0-9]")
}

static EN: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    praise: re_en_long(concat!(
        r"\b(love[sd]?|loving|amazing|awesome|excellent|fantastic|brilliant|outstanding|superb|incredible|gorgeous|",
        r"impressed|impressive|kudos|shout ?out|thank you|thanks|thx|well done|nailed it|respect|elite|slaps|",
        r"great|so good|sooo+ good|really good|very good|pretty good|good job|",
        r"best \w+|the best|cleanest|game[- ]changer|lifesaver|life saver|saved me|so (happy|pleased)|very (happy|pleased|satisfied)|",
        r"perfect|wonderful|delighted|stellar|top[- ]notch|flawless|smooth|painless|beast|useful|reliable|",
        r"pleasantly surprised|deserves a raise|worth every (penny|cent)|worth it|",
        r"happy with|pleased with|satisfied with|works (great|perfectly|flawlessly|like a charm)|still (sound|work|look)s? great|",
        r"can'?t say anything bad|never had (an?|any) (problems?|issues?|complaints?)|no (problems?|issues?|complaints?)( at all| whatsoever| so far)?|not a single (dropped|problem|issue|complaint)|",
        r"not bad at all|(pretty|actually|really) decent|can'?t fault|credit where it'?s due|hero|(shockingly|surprisingly) good|",
        r"lovely|rock solid|without any fuss|no fuss|(cheap|quick|fast) and (quick|cheap|easy|cheerful)|solved my problem|",
        r"life[- ]changing|built like a tank|unmatched|(shockingly|surprisingly|actually) (good|decent|great)|like a dream|lived up to the hype|exactly what (i|we) needed|",
        r"unreal|genius|obsessed with|super easy|so (much )?(easy|easier|cheaper|faster)|ten out of ten|",
        r"5 stars|five stars|10/10|a\+)\b|★★★★★|❤️|😍|🥰|👏|🙌|💯"
    )),
    negated_praise: re_en(
        r"\b(not|n't|never|hardly|isn't|wasn't|no longer)\s+(so\s+|very\s+|that\s+|really\s+|exactly\s+)?$",
    ),
    recommendation: re_en_long(concat!(
        r"\b((highly|strongly|totally|definitely|really|heartily|100%|wholeheartedly) recommend\w*|psa[: ]|hot tip|top tip|tip:|give it a (go|try|shot)|go get (it|one|them)|",
        r"should (get|try|buy|grab) (one|it|them|this)|you need (this|one)|worth the (sub|subscription|money|price)|best money (i'?ve|i have|i) (ever )?spent|take it to|",
        r"",
        r"(i|we|would|i'd|i’d|i'll) (\w+ )?recommend\w*|recommend(ed|ing)? (it|them|this|\w+ to)|suggested \w+( \w+)? to|",
        r"can'?t recommend (\S+ )?enough|10/10 would|would (buy|order|fly|stay|use) again|",
        r"(you|anyone|everyone|y'?all)( \w+)? (should|gotta|have to|need to|must) (try|check out|get|go|use)|check (them|it) out|",
        r"(definitely|def|go) check out|go watch|go with|worth (it|every penny|the money|a try|a look)|must[- ](try|have|see)|",
        r"do yourself a favou?r|give (them|it) a try|try (them|it) out|just (get|buy|grab|use|try)|get that one|",
        r"(your|the) best bet|is what (i'd|i would|you) (pick|want|choose)|best fit for|pro tip|thank me later|trust me|",
        r"(tell|told) (your|my) \w+ to|keep telling people|my usual recommendation|try the \w+|go-to|my go to|",
        r"(is|are) the (\w+ )?(way|one) to (go|get|use|pick)|(is|are) the \w+ to go for|the one you want|(a )?(solid|safe|good) choice|",
        r"worth (checking|looking) (out|into)|definitely use (them|it)|tell your (mates|friends)|stock up|you should too)\b"
    )),
    imperatives: &[
        "try ",
        "get ",
        "go to ",
        "grab ",
        "check out ",
        "book ",
        "download ",
    ],
    anti_recommendation: re_en(concat!(
        r"\b((would|do|will|can|could)\s*(not|n't|n’t)\s+recommend\w*|don'?t recommend|wouldn'?t recommend|",
        r"never recommend|not recommend\w*|recommend\w*\b[^.!?]{0,40}\b(staying away|stay away|avoid\w*|against)|",
        r"stay away|avoid (them|it|this|at all costs)|like the plague|do not (buy|order|use)|don'?t (buy|order|waste))"
    )),
    complaint: re_en(concat!(
        r"\b((doesn'?t|does not|didn'?t|did not|won'?t|isn'?t|not|never|can'?t|cannot) (work|working|load|open|arrive|respond|reply|answer|remember|accept|restore|find|connect|log ?in|sign in|sync|update|install|download|deliver|show up|get back)\w*|",
        r"keeps? (crashing|freezing|failing|dropping|buffering|disconnecting|losing|lagging|restarting|rebooting|logging me out|raising|charging)|crash(es|ed|ing)?|freez(es|ing)|reboots itself|",
        r"(still|never) (hasn'?t |haven'?t |not |has not )?(arrived|received|shipped|got|responded|heard back|answers|replied)|",
        r"charged (me )?twice|double charged|overcharg\w*|hidden fees?|(late|convenience|surprise) fee|rip[- ]?off|",
        r"too expensive|overpriced|(way|far|much) too (pricey|high)|(price|prices|fees?|bills?|costs?) (is|are|has gotten|have gotten|got) (\w+ ){0,2}too high|",
        r"(no|still no|without( a)?|waiting for (a|my)) refund|refund (denied|refused)|",
        r"down again|(is|been|was) down|went down|no (signal|service|internet|response|reply|rebooking)|",
        r"waiting (for|since) (\w+ ){0,2}(days|weeks|hours|months|ages)|on hold|(\d+|two|three|four|five) (hours|weeks|days|months) (now|later)|",
        r"worst|terrible|awful|horrible|useless|unacceptable|ridiculous|pathetic|garbage|absurd|unreadable|pointless|",
        r"disa?pp?oint\w*|frustrat\w*|annoy\w*|rude|incompetent|ignored|ghosted|nobody (called|answers|warned|replied|helps)|",
        r"bugg(y|ier)|died after|late again|cold (food|coffee)|stopped (working|recording|charging|syncing|connecting|loading|responding|sending|updating|showing|playing|turning on)|broke after|fell apart|",
        r"poor (service|quality|support|customer service|experience|communication)|cheaply made|subpar|mediocre|lousy|shoddy|",
        r"nightmare|disgusting|unreliable|waste of (money|time)|not worth (it|the money|the price)|not (happy|impressed|satisfied)|unhappy|",
        r"(haven'?t|have not|hasn'?t|never) (heard back|received|gotten|got) |no one (helps|answers|responds|replies|called|got back)|",
        r"(lost|damaged|cancell?ed) my (order|package|parcel|luggage|bag|flight|booking|reservation)|",
        r"wrong (order|item|size|charge|address)|(bills?|invoice|charge)s? (have|has|have all|were|was|is|are) (all )?(been )?wrong|",
        r"sucks?|ruined|downgrade|so bad|is bad|a joke|not cool|not normal|",
        r"what a joke|fed up|sick of|tired of|fix (it|this|your)|can'?t believe|cannot believe|how hard is it|how is it \d{4}|",
        r"raised (the )?prices?|raising prices|(prices?|bill|fees?|membership|subscription|premium|plan|rent)s? (has |have |just |again )*(gone|went|goes|going|jumped|doubled|shot) up|hiked (my|our|the)|(another|yet another) price (hike|increase|rise)|",
        r"arrived (with a|damaged|broken|cracked|late|cold|open)|dead pixels?|still (waiting|says|shows|showing|stuck|pending)|",
        r"(no one|nobody|noone) (can|could|seems to|is able to|will) (tell|help|explain|answer|give)|(no one|nobody) at \S+ (can|could)|been like this (since|for)|they forgot|",
        r"smelled (like|of) (smoke|sewage|damp|mold|mould|cigarettes|bleach)|filthy|stank|stinks|smelly|nonsense|had it with|",
        r"been trying to \w+ (\w+ ){0,5}for (\d+|a|two|three|four|five|several|weeks|days|months|ages|over)|(i'?ve|i have|we'?ve|we have) had enough|",
        r"painfully slow|(service|delivery|support|staff|checkout|website|app|wifi|internet|connection|site) (was|were) (\w+ )?(slow|rude|unhelpful|clueless)|",
        r"expected (more|better)|came apart|coming apart|(been|was|got|were) charged (for|a |an |twice|again|extra|\W?\d)|get (that|it|this) reversed|",
        r"(days|weeks|months|hours) and (still )?nothing|(hasn'?t|haven'?t|has not|have not|has never|still hasn'?t) been (delivered|received|shipped|processed|refunded|fixed|resolved|answered)|(was|were|is|has)(n'?t| not| never) (delivered|received|shipped|processed|refunded)|",
        r"(makes?|made|making) it (really |so |very |super )?(hard|difficult|impossible)|really hard to|(frozen|stuck|offline|unusable) (for|since) |keeps? sending (me )?the same|",
        r"(full of|more) ads|logged me out|times out|",
        r"marked as delivered|out for delivery\W+for|1 star|one star|[0-3]/10|last straw|without replying|",
        r"(daylight )?robbery|(internet|wi-?fi|connection|signal|app|broadband) (just |always |keeps |randomly |constantly )(dies|died|dying)|died (again|on me)|(ordered|paid for) (a |an )?\w+,? got|tried to deliver|delivered (to )?nobody|delivered someone else'?s|",
        r"won'?t even let me|no[- ]show|when i (specifically )?(asked|ordered|paid) for|(two|three|four|five|\d+) price (rises|hikes|increases)|silent for|radio silence|condescending\w*|",
        r"of waiting (for|on)|(has|needs) to be fixed|needs fixing|(minutes|mins|hours|days|weeks) late|(would not|wouldn'?t|will not|won'?t) (order|buy|fly|stay|use|go|eat|shop) (\w+ )?again|hung up on (me|us)|love to know why|hate that|(2nd|3rd|4th|second|third|fourth) (outage|missed|delay)|disaster|",
        r"charged me (an? )?(\w+ )?fee|(broken|wrong|damaged) \w+ twice|waited \d+ ?(min|mins|minutes|hours))\b|",
        r"😡|🤬|😠|👎|😤|🙄"
    )),
    complaint_weak: re_en(concat!(
        r"\b(broken|wrong|bad|slow|expensive|problems?|issues?|outage\w*|scam\w*|refused|declined|froze|",
        r"error|glitch\w*|lost (my|our|it|them)|(got|was|were|been|is|are|gets) lost|(they|you) lost|damaged|leak(s|ed|ing)?|stale|lukewarm|delayed|missing|fail(ed|s|ure)?|mess|",
        r"supposed to|under review)\b"
    )),
    sarcasm: re_en(
        r"🙃|\boh (great|wonderful|perfect|fantastic|joy|good)\b|\bjust what i (wanted|needed)\b|\blove paying more\b|\bcool cool cool\b|\bthanks for nothing\b|\bthanks (\w+ )?for the (\w+ )?(outage|delay|cancell?ation|wait)",
    ),
    no_complaint: re_en(
        r"\b(no|zero|never had (an?|any)|without any|not a single|doesn'?t|don'?t|didn'?t|does not|isn'?t|wasn'?t|aren'?t|not|never|n't)\s+(\w+\s+)?$",
    ),
    hedged_denial: re_en(r"\b(too|that|so|very|overly|terribly|super|all that|the)\s+$"),
    churn: re_en_long(concat!(
        r"\b((cancel|cancell?ing|cancell?ed) (my|our|the)? ?(\w+ ){0,2}(subscription|account|plan|membership|order|contract|service|trial)|",
        r"(subscription|membership|contract|account) (cancell?ed|closed)|(i'?ve|i have|so i|we'?ve) cancell?ed|(gonna|going to|will|i'll) cancel|(probably|likely|definitely) cancel|",
        r"unsubscrib\w*|switch(ing|ed)? (over )?(to|back to|providers|banks|carriers)|considering switching|",
        r"(switch(ing|ed)?|mov(e|ing|ed)|go(ing)?|went) (over |back )?to (\w+ ){1,2}instead|(move|moving|moved) (my|our) (\w+ ){0,3}(elsewhere|to (a|another) )|",
        r"(moving|moved|migrating|migrated) (\w+ ){0,3}(off|away from)|(i'?m|we'?re|i am|we are|im|i'?ll be|gonna be|household is|family is) dropping \w+|let (my|our) (\w+ ){0,3}lapse|",
        r"never (again|ordering|buying|using|flying|shopping|coming back|going back|renewing)|might not come back|",
        r"(last|final) time (i|we|ordering|buying|using|flying)|(i'm|im|i am|we're|we are) done with|i'?m out\b|",
        r"done with (you|acme|this)|(close|closing|closed) (my|our) (\w+ ){0,2}account|(delete|deleting|deleted) my (\S+ )?account|(moving|moved|transferring|transferred) (my|our|all my) (\w+ ){0,2}from|(getting|got|get) quotes|other (energy |broadband |mobile )?(suppliers|providers|insurers|carriers)|(turned|turning|switched) off auto[- ]?renew|",
        r"ending (my|our) (contract|subscription|plan)|looking at \w+( or \w+)? now|shop(ping)? around|cancell?ed (\S+ )?(prime|premium|plus|pro|membership|sub)|not keeping (it|them)|won'?t be keeping|port(ing)? out|(probably|likely|definitely) (my|our) last|moving everything (over|across)|(fully|finally|officially) (leave|leaving|ditch|quit)|",
        r"won'?t renew|(my|our) last (month|box|bill|payment) (with|of|on)|",
        r"(switched|swapped) from \S+ (\S+ ){0,2}to|(just|finally|officially) cancell?ed (my|our)|(i|i'?ve|i have|we|we'?ve) cancell?ed (my|our)|cancell?ed (my|our) (\S+ ){1,2}(today|yesterday|this (morning|week|month)|last (night|week|month))|(ditched|dumped) \w+ (after|because|over|for)|",
        r"taking my (business|money) elsewhere|(find|finding|look for|looking for) (a )?(new|another|different) (provider|bank|carrier|isp|service)|",
        r"port(ing)? my number|won'?t be (renewing|back|ordering|using|buying)|not renewing|",
        r"uninstall(ed|ing)?|deleted the app|(goodbye|bye bye|bye),? \w+|i quit|leaving (you|for)|",
        r"time to (switch|move on|find (a|another))|(thinking|thinking about|thinking of|considering) (leaving|cancell?ing|switching|moving)|",
        r"looking (for|at) alternatives|(any|better) alternatives to|won'?t be coming back|not coming back|will not be (back|returning|renewing)|",
        r"(go|going|switch|switching|move|moving) (\w+ ){0,3}(with|to) (someone|somebody) (else|cheaper)|going sim[- ]only|",
        r"(moving|taking) (my|our) (account|savings|money|broadband|business|number)|(shopping|shop) elsewhere|won'?t be going back|",
        r"using (literally )?(anyone|anything|someone|something) else|(trying|try) (the )?other (apps|providers|banks|airlines)|",
        r"giving \w+ a break|ditch(ing)? \w+|pastures new|pac code|taking (our|my) (\w+ ){0,2}away from|",
        r"(i'?ll|i will) (probably )?(go|switch|move) to \w+ (for|instead)|cancell?ed \w+ (today|yesterday|this morning)|",
        r"let(ting)? (my|our) (\w+ ){0,3}lapse|already looking at other|looking at other (options|providers|banks))\b"
    )),
    third_party: re_en(
        r"\b(friend|friends|he|she|they|wife|husband|mom|dad|mum|colleague|coworker|brother|sister|everyone|people|neighbou?r)\b[^.!?]{0,25}$",
    ),
    hearsay: re_en(concat!(
        r"\b((friend|coworker|co-worker|colleague|sister|brother|mum|mom|dad|neighbou?r|wife|husband|boss|cousin|flatmate|roommate)s? ",
        r"(\w+ )?(said|says|told me|was telling|mentioned|complained|reckons|swears)|(he|she) (says|said)|(i )?heard (that|from)|warns|warned|warning:)\b"
    )),
    question_start: re_en(concat!(
        r"^\s*(how|what|when|where|which|who|is there|are there|are you|is it|do you|does|did|can i|",
        r"can you|could you|will you|would you|any idea|anyone know|does anyone|is anyone)\b"
    )),
    info_question: re_en(
        r"^\s*(how (do|can|long|much|else)|who (do|can|should) i|does (the|it|this|my|your)|any (fix|way|solution|workaround)|is there (really )?(no|a|any)|do i (have|need) to|what'?s the|what is the|where (do|can)|can i|do you|is there|when (do|does|will)|(does |do )?(anyone|anybody|someone)( at \S+)? know)\b",
    ),
    rhetorical: re_en(
        r"^\s*(why|how come|seriously|does anyone else|anyone else|is anyone at|who designed|how hard|how is it)\b|\?!|!\?",
    ),
    ask_recommendation: re_en(
        r"\b((can|could) (anyone|anybody|someone|you) recommend|any recommendations|recommend me\b|suggestions welcome)",
    ),
    resolved: re_en(
        r"\b(fixed|solved|sorted|resolved|refunded|replaced|reimbursed|swapped|exchanged|got it back|credit where|can'?t fault|took (\w+ ){0,3}back)\b",
    ),
});

static ET: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    praise: re(concat!(
        r"\b(super\w*|suurepära\w*|äge\w*|lahe\w*|mõnus\w*|vinge\w*|kihvt|tore\w*|respekt|tipptase\w*|",
        r"lemmik\w*|parim\w*|parimad|väga rahul|igati rahul|rahul|rahulolev|aitäh|aitüma|tänan|tänud|tänu teile|",
        r"kiidan|kiitus|kiitused|hea töö|tubli\w*|imeline|imelise\w*|fantastili\w*|korrektne|viisaka\w*|",
        r"meeldi(b|s|vad)|armastan|armas|nunnu|hea teenindus|kiire teenindus|kiirelt|kiire|stabiilne|mugav\w*|",
        r"ülihea|väga hea|hea valik|täiega|priima|perfektne|veatu|laitmatu\w*|muljetavaldav|kvaliteetne|kvaliteetse\w*|",
        r"soe ja|südamlik\w*|lihtne|mõistlik\w*|hinda väärt|väärt|härrasmees|",
        r"üle ootuste|ületas (ootusi|ootused)|pole (viga|millegi üle kurta)|ei saa (kurta|nuriseda)|kordagi probleem\w*|",
        r"muljet ?avaldav\w*|(pole|polnud|polnudki|polegi) (üldse )?paha|(täitsa|päris|väga) korralik\w*|šokeerivalt hea|",
        r"(ei saa|ei oska|pole) (\S+ )?midagi ette heita|mingit kurtmist|kangelane|ilma (igasuguse|ühegi) \S+ta|tõrgeteta|vigadeta|",
        r"professionaal\S*|(päris|nii|täitsa|ikka|eriti) hea|maitsev\S*|ideaal(ne|selt)|täiuslik\S*|värske\S*|kannatlik\S*|palju (selgem|lihtsam|parem|kiirem|mugavam)|",
        r"kõik toimib|kunagi probleem\S*|(vastati|vastasid|vastas|tuli|jõudis|saabus|lahendati|lahendas|toodi|tõid) (\S+ )?(\d+|paari|mõne|ühe) (minuti|tunni|päeva)ga|",
        r"5 tärni|viis tärni|10/10|pöial)\b|❤️|😍|🥰|👏|🙌|💯|👍|😄|🚀"
    )),
    negated_praise: re(r"\b(ei|pole|polnud|mitte|ega)\s+(\w+\s+)?(just\s+|eriti\s+|üldse\s+)?$"),
    recommendation: re(concat!(
        r"\b(soovita(n|me|ksin|ksime)|soovitanud|soovitus|julgen soovitada|tasub (\w+ ){0,2}(proovida|minna|osta|külastada|ära|kaaluda|peatuda|tellida|vaadata|kasutada|võtta|uurida)|",
        r"(proovige|minge|ostke|tellige|proovi|vaadake|võtke|kasuta|kasutage) (kindlasti|\w+)|kindlasti (proovige|minge|tasub|soovitan)|",
        r"(broneerige|saatke|taotlege|varuge|tõmmake|laadige|külastage|rääkige (\S+ )?sõpradele)|(mine|võta|telli|osta|tõmba|laadi) (kindlasti|julgelt|see|alla)|",
        r"on (just )?see,? mida võtta|(kindel|parim|õige) (valik|variant)|(vaatamist|proovimist|ostmist|külastamist) väärt|uskuge mind|ütlen alati,? et|",
        r"(tehke|käige|astuge|hankige|minge|proovige|võtke|ostke|tellige|vaadake|kasutage|külastage|broneerige)|(peaksid|peaksite|peaks) (\S+ )?(ka )?(proovima|tegema|võtma|minema|ostma|tellima|kasutama|vaatama)|",
        r"hea valik|soojalt soovitan|julgelt soovitan|must[- ]try|lemmikkoht)\b"
    )),
    imperatives: &[],
    anti_recommendation: re(concat!(
        r"\b((ei|mitte|ei saa|ei oska) soovita\w*|soovita\w*\b[^.!?]{0,40}\b(eemale|hoida|hoiduda|mitte|vältida|kaks korda mõelda|mõelda)|",
        r"hoidke eemale|hoia eemale|ärge (ostke|tellige|minge|kasutage)|ära (osta|telli|mine)|ei tasu)"
    )),
    complaint: re(concat!(
        r"\b((ei|pole) (tööta|töötanud|toimi|toiminud|käivitu|lae|laadi|avane|vasta|vastanud|vastata|saabunud|jõudnud|tulnud|helistanud|läinud läbi|lase|leia)|",
        r"jooks(eb|is) (pidevalt |jälle |kogu aeg )?kokku|hangu(b|s)|rikkis|vigane|olematu|",
        r"hilin(es|enud|eb|evad|esid)|ootan (juba|ikka|siiani|veel|endiselt)|endiselt ootan|ei viitsinud|(läinud|muutunud) (nii |liiga |väga )?(krõbedaks|kalliks)|(hoopis|täiesti) (teine|vale) (suurus|toode|värv|asi)|hakib|hakkis|viimane piisk|suur vale\b|bugi\S*|korda ümber|arve (on |oli )?(jälle )?vale|absurd\S*|ootasin (\S+ ){0,4}(\d+|tund\S*|minut\S*|päev\S*|nädal\S*|kuu\S*|kaua|pikalt|asjata|tühja)|ootasin (\S+ ){0,2}(rohkem|paremat|enamat)|ikka veel ootel|siiani ootel|pooleli juba|",
        r"raha (kadunud|läinud)|kaebus\w*|pettun\w*|pettumus\w*|röövel\w*|",
        r"jama|pask|sitt\w*|nõme\w*|kohutav\w*|jube\w*|õudne|õudse\w*|halb|halva\w*|kehv\w*|nigel|piin|riknenud|",
        r"aeglane|aeglaselt|ebaviisakas|ülbe\w*|ükskõikne|solvav|skandaal\w*|häbi\w*|",
        r"mõttetu\w*|rämps|praak|topelt (maks|võeti)|liiga (kallis|kallid|kallilt|kallist|kõrge\w*)|kaks korda (maha|võeti|maksin)|ülehinnatud|täishinna|tõst(is|sid|eti|etakse|ab|avad) (\S+ ){0,2}(hinda|hindu|hinnad|hinna|kuutasu\S*|tasu\S*|teenustasu\S*|arve\S*)|",
        r"(hinnad|hind|kuutasu|arved?|tasud) (\S+ )?(tõusid|tõusis|tõusevad|tõuseb) (jälle|taas|veel|uuesti)|(kolmas|teine|neljas|järjekordne) hinnatõus|allamäge|naeruväär\S*|ulmeli\S*|",
        r"kalliks (läinud|läks|muutunud)|maks(an|ime|sin|ame) liiga palju|(mida|mille|mis) (ma|me|mina) (pole|ei ole|polnud) (\S+ )?tellinud|(jäi|jäid|jääb|jäävad|jäänud) (\S+ ){0,3}hiljaks|hiljaks jää\S*|",
        r"unusta(s|sid|ti)|(täielik|puhas|paras|lausa) rööv|(pole|polnud|ei ole|ei olnud) (\S+ )?(levi|internetti|netti|voolu|elektrit|ühendust|vastust)|(vastust|levi|netti|internetti) (\S+ )?(pole|ei ole|polnud)|",
        r"iga kord sama (lugu|jama)|(kolmas|neljas|viies) kord (juba|järjest)|vedas (\S+ )?alt|alt vedanud|raisus|raisku|(kukub|kukkus|kukuvad) (\S+ ){0,3}(ära|maha)|",
        r"vale (toode|tellimus|suurus|summa|tellimuse)|lõhutud|purunenud|külm (toit|kohv)|",
        r"keegi ei (vasta|vastuta|võta)|ei vastata|keeldu(b|s|sid|vad|ti)|kriimustas|tüütu|närvi|kõrini|villand|perses|ebaõnnestu\w*|",
        r"ilma (\S+ )?(selgituseta|hoiatuseta|põhjuseta|teavituseta|põhjenduseta)|pole kunagi tellinud|mingit infot|ei saa aru|",
        r"kasutu\w*|vastik\w*|ärritav\w*|ärritun\w*|pahane|vihane|(raha|aja) raiskami\w*|raisatud (raha|aeg)|",
        r"(ei ole|pole|polnud|ei olnud) (üldse |sugugi |eriti )?rahul|rahulolematu\w*|ei saa (sisse|ühendust|kätte|maksta|tellida)|",
        r"ei õnnestu\w*|läks (juba |jälle )?katki|lagunes|ei kannata|kannatus (katkes|on otsas)|",
        r"(kadus|kaotasite|kaotati) (\w+ )?(pakk|pakki|tellimus|tellimuse|pagas|pagasi)|tühistati (\w+ )?(lend|reis|tellimus)|",
        r"raha võeti (\S+ ){0,3}(eest|maha)|(tellimusest|pakist) puudu\w*|(puudus|puudusid) pool|on (puhas |täielik |täiesti )?(röövimine|nali|naljanumber|katastroof)|",
        r"sureb (alati|jälle|pidevalt|iga)|(kolmas|neljas|viies|mitmes) (katkestus|kord kui)|ei saa (sellest |isegi )+(teada anda|ühendust|sisse|maksta)|",
        r"lubati? (\S+ ){0,5}tuli\b)\b|😡|🤬|😠|👎|😤|🙄"
    )),
    complaint_weak: re(concat!(
        r"\b(probleem\w*|mure|kallis|kallim|katki|katkise\w*|tõrge|rike|maas|hilja|hilinemise|viga|vea|vead|vigu|",
        r"kadunud|kaotas|puudu|blokeeris|tühistas|kahju|soolane|soolased|naljakas|tüüpiline|petta|petis\w*|pettus\w*|pettur\w*|tagasimakse|raha tagasi)\b"
    )),
    sarcasm: re(
        r"🙃|\baitäh vä\b|\b(suurepärane|super|väga tore|no tore),? tõesti\b|\boi kui tore\b|\bjust seda (mul |meil )?(vaja|tarvis) oligi\b",
    ),
    no_complaint: re(
        r"\b(pole|polnud|ei|ei mingit|mitte|ei ole|kordagi|null|mitte ühtegi)\s+(\w+\s+){0,2}$",
    ),
    hedged_denial: re(r"\b(liiga|väga|eriti|nii|kuigi|üleliia)\s+$"),
    churn: re(concat!(
        r"\b(lõpeta(n|me|sin|sime) (\w+ ){0,3}(lepingu|tellimuse|konto|liitumise|kasutamise|koostöö|tv|kuukarbi)|(lepingu|tellimus|konto)\S* (\S+ ){0,3}(lõpeta|tühista)(da|n|me|mine|mise|sin|ma|mas)|",
        r"ütle(n|me|sin|sime) (\w+ ){0,4}üles|(lähen|läheme|läksin|läksime|kolin|kolime|kolisin|minna|minema) (\w+ ){0,2}(üle|ära|mujale)|üle minna|",
        r"vaheta(n|me|sin|sime) \S*(pakkujat|müüjat|operaatorit|panka|firmat|poodi)|vaheta(n|me|sin|sime) (\S+ ){0,2}ära|üle minnes|üle (kolida|viia)|panga vahetami\w*|tühista(n|me|sin|sime)|",
        r"(rohkem|enam|iial|mitte kunagi)( ma| me| mina)? (sealt |teilt |siit |seal |teie juures )?(kunagi )?(ei|enam ei|ära) ?(telli|osta|lenda|kasuta|tule|käi|söö|sõida|astu)|",
        r"(enam|rohkem) (kunagi )?(ei|mitte)|edasi ei jätka|viimane kord|aitab (teist|küll|sellest)|hüvasti|",
        r"(sulge(n|sin)|panen) (oma )?(konto|lepingu)( kinni| ära)?|konto kinni|kustuta(n|sin) (\w+ )?(äpi|konto|rakenduse)|",
        r"asemel (hakata|hakkan|hakkame|lennukiga|\w+ga)|(\w+ )?asemel \w+st tellima|nüüdsest (käin|tellin|ostan|sõidan)|edaspidi (tellin|ostan|käin)|",
        r"järgmine kord (ostan|sõidan|tellin|lähen|valin) (\w+ ){0,3}(teise|mõne teise|\w+ga)|loobumi\w*|",
        r"lahkun|loobun|viin (oma |numbri |\w+ ){0,2}(raha |numbri )?(mujale|ära|\w+sse üle)|kolin (oma )?(raha|säästud)|otsin (uue|teise|uut|teist) (pakkuja|operaatori|panga|teenuse)\w*|",
        r"ei (telli|osta|kasuta|tule|käi|lenda) (\w+ )?(enam|iial|kunagi)|(mõtlen|kaalun) (lepingu )?(lõpetamist|ülesütlemist|vahetamist|vahetust|üleminekut|lahkumist)|",
        r"otsin alternatiivi\w*|(lähen|läksin|läheme) (\S+ ){0,2}juurde( tagasi)?|(tellin|ostan|käin|sõidan) nüüd (ainult|vaid|hoopis)|vaatan (\S+ )?(pakkumisi|pakkumist)|\S*(müüja|pakkuja) vahetus|(operaatori|panga) vahetus|(konto|raha|hoiused|säästud|number)\S* (\S+ ){0,3}viia|peata(n|sin|me) (\S+ )?(liikmesuse|tellimuse|lepingu)|asemel (\S+ ){1,2}(võtta|valida|võtan|valin)|edaspidi (sõidan|teen|kasutan|lähen)|\S+st loobu\S*|loobuda|kolides|viimane kuu|(äpp|rakendus|konto) on (\S+ ){0,2}kustutatud|aeg (edasi liikuda|vahetada)|",
        r"(lähen|läheme|läksin|läksime|kolin|kolime|kolisin|viin|vahetan) (\S+ ){0,4}\S+ peale|viin (\S+ ){0,3}(konto|numbri|lepingu|interneti|raha|säästud|hoiused|hoiuse|palga|arvelduse)|",
        r"(panen|paneme) (\S+ ){0,3}(konto|lepingu|kaardi)\w* (\S+ )?kinni|(meie|me|pere) loobu\w*|loobume|",
        r"ei (pikenda|uuenda)|pikendama ei hakka|ei hakka (\w+ )?pikendama|tellimus (on )?tühistatud|",
        r"(kasutan|valin|tellin) (\S+ ){0,2}(keda|kedagi|mõnda) (teist|muud)|vaatan (juba |nüüd |ka |tõsiselt )?(teisi|muid|teiste|ringi)|(nüüd|edaspidi|nüüdsest) (\S+ )?hoopis|(ostan|tellin|käin|sõidan) (\S+ ){0,3}hoopis|nüüd (käin|ostan|tellin|sõidan|kasutan) (ainult|vaid)|(tellin|ostan|käin) edaspidi|",
        r"ära lõpeta(da|n|sin|me)|otsustasin (\S+ ){0,3}(lõpetada|loobuda|lahkuda|vahetada|üle minna)|",
        r"(proovin|proovime) (\S+ ){0,5}asemel|\S+ga on (nüüd )?kõik\b|(rohkem|enam) (\S+ ){0,2}ei (aja|telli|osta|kasuta)|mitte (kunagi|iial) enam|enam mitte kunagi|",
        r"(äpp|rakendus) läheb (\S+ )?maha|(mõtlen|kaalun) (\S+ ){0,3}(ära minna|ära minemist|sulgemis\w*|lõpetamis\w*|vahetamis\w*|loobumis\w*))\b"
    )),
    third_party: re(
        r"\b(sõber|sõbrad|sõbranna|ta|tal|talle|tema|temal|nad|neil|nende|naine|mees|ema|isa|kolleeg|töökaaslane|tuttav|abikaasa|elukaaslane|vend|õde|naaber|naabrimees|kõik|inimesed|paljud)\b[^.!?]{0,25}$",
    ),
    hearsay: re(concat!(
        r"\b((sõber|sõbra|sõbranna|naaber|naabri|naabrimees|naabrinaine|kolleeg|töökaaslane|tuttav|ema|isa|õde|vend|mees|naine|abikaasa|elukaaslane)\S* ",
        r"(\S+ )?(ütles|ütlesid|rääkis|rääkisid|kurtis|kurtsid|kirjutas|väitis|väidab|räägib|kurdab)|kuulsin,? et|hoiata(b|vad|s|sid))\b"
    )),
    question_start: re(
        r"^\s*(kas|kuidas|millal|kus|mis|mitu|kui palju|kellele|kuhu|kust|milline|millised|miks|kaua)\b",
    ),
    info_question: re(
        r"^\s*(kuidas (saab|saan|ma|seda|\w+ lepingut)|kuidas (\S+ ){0,2}(teha|aktiveerida|tagasi|tühistada|lõpetada)|kas (teil|saab|saan|on võimalik|keegi oskab|keegi teab|kellelgi on sama)|kas (\S+ ){1,4}(saab|saan|tuleb|peab|peaks)|kas \S+(l|s) on|mis (teenus|tasu)|millal|kus|mitu|kui palju|mis kell)\b",
    ),
    rhetorical: re(
        r"^\s*(miks|mis mõttes|kuidas on võimalik|kas see on tõesti|kas teil seal üldse|kui kaua võib|mis toimub|kas ainult mul(le|)?)\b|\?!|!\?|\?\?|mis toimub",
    ),
    ask_recommendation: re(
        r"\b(oskab|oskate|võiks|võite|saaks) (keegi )?soovitada|soovitage\b|mida soovitate",
    ),
    resolved: re(
        r"\b(lahendas|lahendati|parandas|parandati|kandis (\w+ ){0,4}tagasi|tagasta(s|sid|ti)|asendas|vahetas (\w+ )?välja|sain (raha )?tagasi)\b",
    ),
});

// Positions of the cue families in `families`.
const PRAISE: usize = 0;
const RECOMMENDATION: usize = 1;
const ANTI: usize = 2;
const COMPLAINT: usize = 3;
const COMPLAINT_WEAK: usize = 4;
const SARCASM: usize = 5;
const CHURN: usize = 6;
const ASK: usize = 7;
const RESOLVED: usize = 8;

const FAMILIES: usize = 9;

static EN_FAMILIES: LazyLock<Families> = LazyLock::new(|| {
    let patterns: Vec<&str> = families(&EN).iter().map(|r| r.as_str()).collect();
    // Built from patterns that compiled above, so it builds too (checked by the tests).
    #[allow(clippy::expect_used)]
    Families::Candidates(Prefilter::new(&patterns).expect("intent prefilter builds"))
});
static ET_FAMILIES: LazyLock<Families> = LazyLock::new(|| Families::Exact(family_set(&ET, true)));

fn families(p: &Patterns) -> [&Cue; FAMILIES] {
    [
        &p.praise,
        &p.recommendation,
        &p.anti_recommendation,
        &p.complaint,
        &p.complaint_weak,
        &p.sarcasm,
        &p.churn,
        &p.ask_recommendation,
        &p.resolved,
    ]
}

/// Which cue families a text may hold, one bit each; only those are searched for their
/// position and exceptions.
enum Families {
    /// The families that match, exactly. Estonian patterns are case-insensitive, which
    /// leaves no literals to filter on, so they run as one overlapping set.
    Exact(meta::Regex),
    /// A superset: the English families whose required literals occur (see `prefilter`).
    Candidates(Prefilter),
}

impl Families {
    fn hits(&self, text: &str) -> u32 {
        match self {
            Families::Exact(set) => {
                let mut hits = PatternSet::new(set.pattern_len());
                set.which_overlapping_matches(&Input::new(text), &mut hits);
                hits.iter().fold(0, |bits, id| bits | 1 << id.as_usize())
            }
            Families::Candidates(filter) => filter.candidates(text),
        }
    }
}

/// All cue families as one overlapping set, as `regex::RegexSet` builds it but without the
/// literal prefilter: with hundreds of short cue words it stops the DFA at nearly every word
/// and cost more than the DFA walk it saves.
fn family_set(p: &Patterns, case_insensitive: bool) -> meta::Regex {
    let patterns: Vec<&str> = families(p).iter().map(|r| r.as_str()).collect();
    // Built from patterns that compiled above, so it compiles too (checked by the tests).
    #[allow(clippy::expect_used)]
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(MatchKind::All)
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
                .auto_prefilter(false)
                .hybrid_cache_capacity(32 << 20),
        )
        .syntax(syntax::Config::new().case_insensitive(case_insensitive))
        .build_many(&patterns)
        .expect("intent pattern set compiles")
}

/// Weak cues name a problem ("outage", "refund", "katki") but also appear in stories of a
/// problem solved well; they make a complaint only when the text is not positive overall.
const NOT_POSITIVE: f64 = 0.05;

const MAX_CUE_CHARS: usize = 120;

/// Compiles the English cues now if `languages` has English, rather than at the first text.
/// The Estonian set is left to its first text: it takes some 50 ms to build, a cost that
/// `fanwatch score --lang en` should not pay.
pub fn warm_up(languages: &[Lang]) {
    if languages.contains(&Lang::En) {
        LazyLock::force(&EN_FAMILIES);
    }
}

/// The intents of `text` in `lang`. `sentiment` (when known) keeps praise from firing on
/// sarcasm ("great, another outage").
pub fn detect(original: &str, lang: Lang, sentiment: Option<&Sentiment>) -> Vec<Intent> {
    match lang {
        // English patterns are lowercase and case-sensitive, matched against an
        // ASCII-lowercased copy: a case-insensitive DFA is several times larger and slower.
        // ASCII lowercasing keeps byte offsets, so cues are cut from the original text at the
        // same positions. The copy goes into a per-thread buffer, not a new String per text.
        Lang::En => LOWERED.with_borrow_mut(|lowered| {
            lowered.clear();
            lowered.push_str(original);
            lowered.make_ascii_lowercase();
            detect_in(original, lowered, &EN, &EN_FAMILIES, sentiment)
        }),
        Lang::Et => detect_in(original, original, &ET, &ET_FAMILIES, sentiment),
    }
}

thread_local! {
    static LOWERED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// `detect` on `text`, the form the patterns of `p` expect; cues are cut from `original`.
fn detect_in(
    original: &str,
    text: &str,
    p: &Patterns,
    families: &Families,
    sentiment: Option<&Sentiment>,
) -> Vec<Intent> {
    // One pass tells which cue families may occur; most texts have none or one, and only
    // those are searched again (which also confirms them).
    let hits = families.hits(text);
    let hit = |family: usize| hits & (1 << family) != 0;
    let mut out = Vec::new();
    let mut push = |kind: IntentKind, cue: &str| {
        if !out.iter().any(|i: &Intent| i.kind == kind) {
            let start = cue.as_ptr() as usize - text.as_ptr() as usize;
            let cue = original.get(start..start + cue.len()).unwrap_or(cue);
            out.push(Intent {
                kind,
                cue: crate::domain::truncate_chars(cue.trim(), MAX_CUE_CHARS).to_owned(),
            });
        }
    };
    let compound = sentiment.map_or(0.0, |s| s.compound);
    let negative = compound <= -0.05;
    let not_negative = !negative;

    let anti = hit(ANTI)
        .then(|| p.anti_recommendation.find(text))
        .flatten();
    let ask = hit(ASK).then(|| p.ask_recommendation.find(text)).flatten();
    let sarcasm = hit(SARCASM).then(|| p.sarcasm.find(text)).flatten();
    let mut complaint_cue: Option<&str> = anti.map(|m| m.as_str()).or(sarcasm.map(|m| m.as_str()));
    if complaint_cue.is_none() && hit(COMPLAINT) {
        for m in p.complaint.find_iter(text) {
            let clause = clause_start(text, m.start());
            let before = &text[clause..m.start()];
            if reported(p, text, m.start()) {
                continue;
            }
            if p.no_complaint.is_match(before) {
                // The cue may open with the softener itself ("not | too expensive").
                let first_word = m.as_str().find(' ').map_or(0, |i| i + 1);
                let softened = p
                    .hedged_denial
                    .is_match(&text[clause..m.start() + first_word]);
                if not_negative && !softened {
                    push(IntentKind::Praise, &text[clause..m.end()]);
                }
                continue;
            }
            complaint_cue = Some(m.as_str());
            break;
        }
    }
    if complaint_cue.is_none()
        && hit(COMPLAINT_WEAK)
        && compound < NOT_POSITIVE
        && !(hit(RESOLVED) && p.resolved.is_match(text))
    {
        // A weak cue tells what happened to someone else as often ("my colleague cancelled").
        complaint_cue = first_unnegated(&p.complaint_weak, &p.no_complaint, text, |_, _| true)
            .filter(|cue| {
                let start = cue.as_ptr() as usize - text.as_ptr() as usize;
                !of_someone_else(p, text, start) && !reported(p, text, start)
            });
    }
    if let Some(cue) = complaint_cue {
        push(IntentKind::Complaint, cue);
    }

    if anti.is_none()
        && ask.is_none()
        && let Some(m) = hit(RECOMMENDATION)
            .then(|| first_unnegated(&p.recommendation, &p.negated_praise, text, asserted))
            .flatten()
            .or_else(|| imperative_after_break(text, p.imperatives))
    {
        push(IntentKind::Recommendation, m);
    }

    let mut churn = false;
    let churn_matches = hit(CHURN)
        .then(|| p.churn.find_iter(text))
        .into_iter()
        .flatten();
    for m in churn_matches {
        if of_someone_else(p, text, m.start()) || reported(p, text, m.start()) {
            continue;
        }
        push(IntentKind::ChurnRisk, m.as_str());
        churn = true;
        break;
    }

    if not_negative
        && complaint_cue.is_none()
        && hit(PRAISE)
        && let Some(m) = first_unnegated(&p.praise, &p.negated_praise, text, asserted)
    {
        push(IntentKind::Praise, m);
    }

    if let Some(m) = ask {
        push(IntentKind::Question, m.as_str());
    } else if let Some(q) = question(text, p) {
        let unhappy = complaint_cue.is_some() || churn || compound <= -0.5;
        let rhetorical = p.rhetorical.is_match(q.sentence) || q.excited;
        if !rhetorical && (!unhappy || asks_for_info(p, q.sentence)) {
            push(IntentKind::Question, q.sentence);
        }
    }
    out.sort_by_key(|i| i.kind);
    out
}

/// The first match of `pattern` not preceded by a negation ("not great", "ei ole hea") that
/// `keep` accepts, given the text and the match's end.
fn first_unnegated<'t>(
    pattern: &Cue,
    negation: &Cue,
    text: &'t str,
    keep: impl Fn(&str, usize) -> bool,
) -> Option<&'t str> {
    pattern
        .find_iter(text)
        .find(|m| {
            !negation.is_match(&text[clause_start(text, m.start())..m.start()])
                && keep(text, m.end())
        })
        .map(|m| m.as_str())
}

/// Praise and advice count where they are given, not asked about: "is Deliveroo Plus worth
/// it?", "milline pank on parim?".
fn asserted(text: &str, end: usize) -> bool {
    !in_question(text, end)
}

/// Whether a question the author is unhappy about still asks for information: the whole
/// sentence or its last clause opens like one ("Wolt tõi vale tellimuse, kuidas ma raha
/// tagasi saan").
fn asks_for_info(p: &Patterns, sentence: &str) -> bool {
    let last_clause = &sentence[clause_start(sentence, sentence.len())..];
    p.info_question.is_match(sentence) || p.info_question.is_match(last_clause)
}

/// An imperative of `imperatives` opening a clause after a comma, colon or semicolon,
/// optionally after "just": "students, get the student plan", "PSA: try Mullvad". Looked for
/// here rather than in the cue regex: a required literal that starts with punctuation would
/// make the English prefilter hash every byte of every text instead of only word starts.
fn imperative_after_break<'t>(text: &'t str, imperatives: &[&str]) -> Option<&'t str> {
    if imperatives.is_empty() {
        return None;
    }
    memchr::memchr3_iter(b',', b':', b';', text.as_bytes()).find_map(|at| {
        // The marks are ASCII, so the byte after one starts a character.
        let clause = text.get(at + 1..)?.strip_prefix(' ')?;
        let advice = clause.strip_prefix("just ").unwrap_or(clause);
        // Most clauses start with another letter: compare first bytes before whole verbs.
        let first = *advice.as_bytes().first()?;
        let verb = imperatives
            .iter()
            .filter(|v| v.as_bytes()[0] == first)
            .find(|v| advice.starts_with(**v))?;
        let start = at + 2;
        let end = start + (clause.len() - advice.len()) + verb.len() - 1;
        (!in_question(text, end)).then(|| &text[start..end])
    })
}

/// Whether the clause holding the text that ends at `end` ends with a question mark (in
/// "loved the flat white, do you sell the beans?" the praise is outside the question).
fn in_question(text: &str, end: usize) -> bool {
    text[end..]
        .find(CLAUSE_BREAKS)
        .is_some_and(|i| text.as_bytes()[end + i] == b'?')
}

/// Whether the cue at `start` tells of someone else's experience ("my friend is switching"):
/// a third party earlier in its clause.
fn of_someone_else(p: &Patterns, text: &str, start: usize) -> bool {
    p.third_party
        .is_match(&text[clause_start(text, start)..start])
}

/// Whether the cue at `start` follows reported speech or a warning in its sentence.
fn reported(p: &Patterns, text: &str, start: usize) -> bool {
    let sentence = text[..start]
        .rfind(['.', '!', '?', '\n'])
        .map_or(0, |i| i + 1);
    p.hearsay.is_match(&text[sentence..start])
}

/// What ends a clause, for `clause_start` and `in_question`.
const CLAUSE_BREAKS: [char; 6] = ['.', '!', '?', ',', ';', '\n'];

/// Start of the clause containing `at`, so look-behind checks stay within it.
fn clause_start(text: &str, at: usize) -> usize {
    text[..at].rfind(CLAUSE_BREAKS).map_or(0, |i| i + 1)
}

struct Question<'t> {
    sentence: &'t str,
    /// Ends in "?!" or "!?": astonishment, not a question to answer.
    excited: bool,
}

/// The first sentence that asks something: ends with "?" or opens with a question word.
fn question<'t>(text: &'t str, p: &Patterns) -> Option<Question<'t>> {
    // The delimiters are ASCII, so walking bytes sees the same delimiters and neighbours as
    // walking chars (UTF-8 continuation bytes are never ASCII), without collecting the chars.
    let bytes = text.as_bytes();
    let mut start = 0;
    // Only a "?" or a line end can end the walk early; without them (most texts) the answer
    // depends on the last sentence alone.
    if memchr::memchr2(b'?', b'\n', bytes).is_none() {
        start = memchr::memrchr2(b'.', b'!', bytes).map_or(0, |i| i + 1);
    }
    for (i, &c) in bytes.iter().enumerate().skip(start) {
        if matches!(c, b'.' | b'!' | b'?' | b'\n') {
            let sentence = text[start..i].trim();
            let next = bytes.get(i + 1).copied();
            let prev = i.checked_sub(1).map(|j| bytes[j]);
            let asks = c == b'?' || (c == b'!' && next == Some(b'?'));
            if !sentence.is_empty() && asks {
                let excited =
                    next == Some(b'!') || prev == Some(b'!') || (c == b'!' && next == Some(b'?'));
                return Some(Question { sentence, excited });
            }
            if !sentence.is_empty() && c != b'.' && c != b'!' && p.question_start.is_match(sentence)
            {
                return Some(Question {
                    sentence,
                    excited: false,
                });
            }
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    (rest.chars().count() > 8 && p.question_start.is_match(rest)).then_some(Question {
        sentence: rest,
        excited: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, lang: Lang) -> Vec<&'static str> {
        detect(text, lang, None)
            .into_iter()
            .map(|i| i.kind.as_str())
            .collect()
    }

    #[test]
    fn patterns_compile() {
        LazyLock::force(&EN);
        LazyLock::force(&ET);
        LazyLock::force(&EN_FAMILIES);
        LazyLock::force(&ET_FAMILIES);
    }

    /// The literal prefilter never drops a family the exact set finds: checked on the
    /// labelled English sets, and on their words shuffled into new texts.
    #[test]
    fn prefilter_keeps_every_matching_family() {
        let exact = Families::Exact(family_set(&EN, false));
        let mut texts: Vec<String> = Vec::new();
        for file in [
            "tests/data/intents_en.tsv",
            "tests/data/intents_en_set2.tsv",
            "tests/data/intents_en_holdout.tsv",
            "tests/data/intents_en_holdout4.tsv",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let data = std::fs::read_to_string(path).unwrap();
            texts.extend(
                data.lines()
                    .filter_map(|l| l.split_once('\t'))
                    .map(|(_, t)| t.to_owned()),
            );
        }
        let words: Vec<String> = texts
            .iter()
            .flat_map(|t| t.split(' '))
            .map(str::to_owned)
            .collect();
        // A fixed linear congruential sequence: new word orders, the same on every run.
        let mut state: u64 = 7;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 12 + 1) {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(&words[(state >> 33) as usize % words.len()]);
                text.push(' ');
            }
            texts.push(text);
        }
        // The same texts shifted across the prefilter's 64-byte blocks, after a word byte, a
        // non-word byte or a non-ASCII one, and with words joined by '-'.
        let mut shifted = Vec::new();
        for text in texts.iter().take(300) {
            for k in [1, 3, 61, 62, 63, 64, 65, 127, 128] {
                for fill in [" ", "x", "-", "é"] {
                    shifted.push(fill.repeat(k) + text);
                    shifted.push(fill.repeat(k) + &text.replace(' ', "-"));
                }
            }
        }
        let mut matched = 0;
        for text in texts.iter().chain(&shifted) {
            let lowered = text.to_ascii_lowercase();
            let truth = exact.hits(&lowered);
            let candidates = EN_FAMILIES.hits(&lowered);
            assert_eq!(
                truth & !candidates,
                0,
                "{text:?}: {truth:b} not within {candidates:b}"
            );
            matched += usize::from(truth != 0);
        }
        assert!(matched > 500, "only {matched} texts hold a cue");
    }

    #[test]
    fn english_cues() {
        assert_eq!(
            kinds("Highly recommend Acme, support was amazing", Lang::En),
            ["praise", "recommendation"]
        );
        assert_eq!(
            kinds(
                "I'm cancelling my subscription, switching to Globex",
                Lang::En
            ),
            ["churn_risk"]
        );
        assert_eq!(
            kinds("Would not recommend. Order never arrived.", Lang::En),
            ["complaint"]
        );
        assert_eq!(kinds("Do you ship to Estonia?", Lang::En), ["question"]);
        assert_eq!(
            kinds("Can anyone recommend a good VPN?", Lang::En),
            ["question"]
        );
        assert_eq!(
            kinds("my friend switched to Acme last week", Lang::En),
            Vec::<&str>::new()
        );
        assert!(!kinds("why is your app always broken??", Lang::En).contains(&"question"));
    }

    #[test]
    fn estonian_cues() {
        assert_eq!(
            kinds("Soovitan soojalt, super teenindus!", Lang::Et),
            ["praise", "recommendation"]
        );
        assert_eq!(
            kinds("Lõpetan lepingu ja lähen üle Elisasse", Lang::Et),
            ["churn_risk"]
        );
        assert_eq!(
            kinds("Ei soovita, pakk hilines nädal", Lang::Et),
            ["complaint"]
        );
        assert_eq!(
            kinds("Kas teil on ka tasuta tarne?", Lang::Et),
            ["question"]
        );
        assert_eq!(
            kinds("sõber läks üle Teliasse", Lang::Et),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn everyday_complaint_churn_and_question_phrasing() {
        assert_eq!(
            kinds("Prices are way too high now", Lang::En),
            ["complaint"]
        );
        assert_eq!(
            kinds("Telia hinnad on lihtsalt liiga kõrged", Lang::Et),
            ["complaint"]
        );
        // A complaint that asks what others may know is a question too (the status page
        // could answer it); a rhetorical "why" is not.
        assert_eq!(
            kinds(
                "Does anyone know why the app is not working today?",
                Lang::En
            ),
            ["complaint", "question"]
        );
        assert_eq!(
            kinds("Kas keegi teab, miks internet täna ei tööta?", Lang::Et),
            ["complaint", "question"]
        );
        assert_eq!(
            kinds("Miks teie äpp jälle ei tööta?", Lang::Et),
            ["complaint"]
        );
        assert_eq!(
            kinds("I can't log in since the update", Lang::En),
            ["complaint"]
        );
        assert_eq!(
            kinds(
                "Thinking about switching, looking for alternatives",
                Lang::En
            ),
            ["churn_risk"]
        );
        assert_eq!(
            kinds("Pole üldse rahul, täiesti kasutu äpp", Lang::Et),
            ["complaint"]
        );
        assert_eq!(kinds("Kaalun lepingu lõpetamist", Lang::Et), ["churn_risk"]);
        assert_eq!(
            kinds("Ma ei telli sealt enam kunagi", Lang::Et),
            ["churn_risk"]
        );
    }

    /// A cue literal that starts with punctuation (", get ") makes the prefilter hash every
    /// byte of every English text, not only where words start (on 2026-12-03 such a cue made
    /// scoring measurably slower). Such cues belong in code (`imperative_after_break`).
    #[test]
    fn english_prefilter_looks_at_word_starts_only() {
        let Families::Candidates(filter) = &*EN_FAMILIES else {
            panic!("English families use the literal prefilter");
        };
        assert!(filter.word_starts_only());
    }

    #[test]
    fn hearsay_and_warnings_are_not_the_authors_complaint() {
        assert!(kinds("My sister said the Comcast tech was rude to her", Lang::En).is_empty());
        assert!(
            kinds(
                "Sõbranna ütles, et Wolti kuller oli tal eile täiesti ebaviisakas.",
                Lang::Et
            )
            .is_empty()
        );
        assert!(
            kinds(
                "Tarbijakaitse hoiatab: petturid saadavad Omniva nimel võltssõnumeid.",
                Lang::Et
            )
            .is_empty()
        );
        // The author's own sentence after the hearsay still counts.
        assert_eq!(
            kinds(
                "My friend said it was fine. The app crashes every time I open it",
                Lang::En
            ),
            ["complaint"]
        );
    }

    #[test]
    fn praise_asked_about_is_not_given() {
        assert_eq!(
            kinds(
                "Is Deliveroo Plus worth it if I order twice a month?",
                Lang::En
            ),
            ["question"]
        );
        assert_eq!(
            kinds("Milline pank on teie arvates üliõpilasele parim?", Lang::Et),
            ["question"]
        );
        assert_eq!(
            kinds(
                "Loved the flat white at Harbor Coffee, do you sell the beans?",
                Lang::En
            ),
            ["praise", "question"]
        );
    }

    #[test]
    fn advice_after_a_comma_is_a_recommendation() {
        assert_eq!(
            kinds(
                "If you do any photo editing at all, get Lightroom",
                Lang::En
            ),
            ["recommendation"]
        );
        assert_eq!(
            kinds(
                "PSA for students: just try the Spotify student plan",
                Lang::En
            ),
            ["recommendation"]
        );
        // A question about the advice is no advice.
        assert!(
            !kinds("Quick one, get the annual plan or monthly?", Lang::En)
                .contains(&"recommendation")
        );
    }

    #[test]
    fn new_everyday_cues() {
        assert_eq!(
            kinds(
                "Never had an issue with my Fidelity account in 8 years",
                Lang::En
            ),
            ["praise"]
        );
        assert_eq!(
            kinds("it has not been delivered. still waiting", Lang::En),
            ["complaint"]
        );
        assert_eq!(
            kinds(
                "Cancelled my Disney+ today, the price went up again",
                Lang::En
            ),
            ["complaint", "churn_risk"]
        );
        assert_eq!(
            kinds("Bolti juht jäi 15 minutit hiljaks.", Lang::Et),
            ["complaint"]
        );
        assert_eq!(
            kinds(
                "Tele2-st tuli parem pakkumine, nii et vahetan Elisa ära.",
                Lang::Et
            ),
            ["churn_risk"]
        );
        assert_eq!(
            kinds(
                "Kas Storyteli tellimuse saab tühistada otse äpis?",
                Lang::Et
            ),
            ["churn_risk", "question"]
        );
        assert_eq!(
            kinds(
                "Kirjutasin klienditoele nädal tagasi ja siiani vastust pole.",
                Lang::Et
            ),
            ["complaint"]
        );
    }

    /// A denied complaint is praise ("no problems at all"), a softened one is neither.
    #[test]
    fn hedged_denials_are_not_praise() {
        assert_eq!(
            kinds("No problems at all with the app", Lang::En),
            ["praise"]
        );
        assert!(kinds("It is not too expensive", Lang::En).is_empty());
        assert!(kinds("The delivery was not that slow", Lang::En).is_empty());
        assert!(kinds("Hind ei ole liiga kallis", Lang::Et).is_empty());
    }

    #[test]
    fn cue_is_the_matched_text() {
        let intents = detect("Cancelling our subscription tomorrow", Lang::En, None);
        assert_eq!(intents[0].cue, "Cancelling our subscription");
    }
}
