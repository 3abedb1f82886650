//! Email content from the templates in `templates/`, compiled into the binary by askama.
//! HTML parts are auto-escaped; every untrusted value is also passed through `safe` first
//! (one line for names, defanged links for text), so neither part can carry markup, header
//! breaks or clickable links that fanwatch did not put there itself.

use askama::Template;

use super::config::Language;
use super::safe::{body_text, defang, one_line, safe_link};
use super::weekly::WeeklyReport;
use crate::storage::{FlagDetail, RenderedEmail};

/// The fixed words of the emails, per language.
pub struct Texts {
    pub alert_intro: &'static str,
    pub digest_intro: &'static str,
    pub brand: &'static str,
    pub author: &'static str,
    pub followers: &'static str,
    pub reach: &'static str,
    pub sentiment: &'static str,
    pub reason: &'static str,
    pub link: &'static str,
    pub no_link: &'static str,
    pub acknowledge: &'static str,
    pub footer: &'static str,
    pub weekly_intro: &'static str,
    pub top_advocates: &'static str,
    pub new: &'static str,
    pub returning: &'static str,
    pub at_risk: &'static str,
    pub negatives: &'static str,
    pub questions: &'static str,
    pub trend: &'static str,
    pub nps: &'static str,
    pub none: &'static str,
    pub score: &'static str,
    pub positive_weeks: &'static str,
    pub customer: &'static str,
    pub week: &'static str,
    pub mentions: &'static str,
    pub attachment: &'static str,
    pub promoters: &'static str,
    pub detractors: &'static str,
    pub authors: &'static str,
}

const EN: Texts = Texts {
    alert_intro: "fanwatch raised a flag that needs a person.",
    digest_intro: "Flags raised since the last digest:",
    brand: "Brand",
    author: "Author",
    followers: "followers",
    reach: "Reach",
    sentiment: "Sentiment",
    reason: "Why",
    link: "Open the post",
    no_link: "no public link",
    acknowledge: "Acknowledge when handled",
    footer: "Sent by fanwatch to an allow-listed address. Text quoted from posts is shown as written by its author; links in it are disabled.",
    weekly_intro: "Your weekly advocate list",
    top_advocates: "Top advocates",
    new: "new",
    returning: "returning",
    at_risk: "At-risk voices (widely heard, turning negative)",
    negatives: "Open negative experiences",
    questions: "Top unanswered questions",
    trend: "Sentiment trend (average compound per week)",
    nps: "Social NPS",
    none: "none",
    score: "score",
    positive_weeks: "positive weeks",
    customer: "customer",
    week: "week",
    mentions: "mentions",
    attachment: "The full list is attached as CSV.",
    promoters: "promoters",
    detractors: "detractors",
    authors: "authors",
};

const ET: Texts = Texts {
    alert_intro: "fanwatch tõstatas märke, mis vajab inimese tähelepanu.",
    digest_intro: "Pärast eelmist kokkuvõtet tõstatatud märked:",
    brand: "Bränd",
    author: "Autor",
    followers: "jälgijat",
    reach: "Ulatus",
    sentiment: "Meelestatus",
    reason: "Miks",
    link: "Ava postitus",
    no_link: "avalik link puudub",
    acknowledge: "Kinnita, kui see on lahendatud",
    footer: "Saatis fanwatch lubatud aadressile. Postitustest tsiteeritud tekst on autori oma; selles olevad lingid on välja lülitatud.",
    weekly_intro: "Sinu iganädalane saadikute nimekiri",
    top_advocates: "Parimad saadikud",
    new: "uus",
    returning: "naasev",
    at_risk: "Ohus hääled (laialt kuuldud, muutumas negatiivseks)",
    negatives: "Lahendamata negatiivsed kogemused",
    questions: "Peamised vastamata küsimused",
    trend: "Meelestatuse trend (nädala keskmine)",
    nps: "Sotsiaalne NPS",
    none: "puudub",
    score: "skoor",
    positive_weeks: "positiivset nädalat",
    customer: "klient",
    week: "nädal",
    mentions: "mainimist",
    attachment: "Täielik nimekiri on lisatud CSV-failina.",
    promoters: "soovitajat",
    detractors: "arvustajat",
    authors: "autorit",
};

pub fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::En => &EN,
        Language::Et => &ET,
    }
}

pub fn kind_name(kind: &str, lang: Language) -> &'static str {
    match (kind, lang) {
        ("negative_experience", Language::En) => "Negative experience",
        ("negative_experience", Language::Et) => "Negatiivne kogemus",
        ("churn_risk", Language::En) => "Churn risk",
        ("churn_risk", Language::Et) => "Lahkumisoht",
        ("question", Language::En) => "Question",
        ("question", Language::Et) => "Küsimus",
        ("influential_fan", Language::En) => "Influential fan",
        ("influential_fan", Language::Et) => "Mõjukas fänn",
        ("spike", Language::En) => "Spike of negative mentions",
        ("spike", Language::Et) => "Negatiivsete mainimiste tõus",
        (_, Language::En) => "Flag",
        (_, Language::Et) => "Märge",
    }
}

fn severity_name(severity: &str, lang: Language) -> &'static str {
    match (severity, lang) {
        ("critical", Language::En) => "critical",
        ("critical", Language::Et) => "kriitiline",
        ("high", Language::En) => "high",
        ("high", Language::Et) => "kõrge",
        ("medium", Language::En) => "medium",
        ("medium", Language::Et) => "keskmine",
        (_, Language::En) => "low",
        (_, Language::Et) => "madal",
    }
}

fn label_name(label: &str, lang: Language) -> &'static str {
    match (label, lang) {
        ("positive", Language::En) => "positive",
        ("positive", Language::Et) => "positiivne",
        ("negative", Language::En) => "negative",
        ("negative", Language::Et) => "negatiivne",
        (_, Language::En) => "neutral",
        (_, Language::Et) => "neutraalne",
    }
}

/// One flag as both parts show it; every field already safe for either part.
pub struct FlagView {
    pub id: i64,
    pub kind: &'static str,
    pub severity: &'static str,
    pub brand: String,
    pub author: String,
    pub followers: Option<i64>,
    pub link: Option<String>,
    pub title: String,
    pub text: String,
    /// `text` with each line behind "> ", for the plain part.
    pub quoted: String,
    pub reach: String,
    pub sentiment: String,
    pub reason: String,
    pub ack: String,
    pub when: String,
}

impl FlagView {
    pub fn new(f: &FlagDetail, lang: Language) -> FlagView {
        let author = match (&f.display_name, &f.handle) {
            (Some(name), Some(handle)) if name != handle => format!("{name} ({handle})"),
            (_, Some(handle)) => handle.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => String::new(),
        };
        let author = match &f.platform {
            Some(p) if !author.is_empty() => format!("{} · {p}", one_line(&author, 120)),
            _ => one_line(&author, 120),
        };
        let text = body_text(f.text.as_deref().unwrap_or(""), 1500);
        FlagView {
            id: f.id,
            kind: kind_name(&f.kind, lang),
            severity: severity_name(&f.severity, lang),
            brand: one_line(&f.brand, 100),
            author,
            followers: f.followers,
            link: safe_link(f.url.as_deref()),
            title: defang(&one_line(f.title.as_deref().unwrap_or(""), 200)),
            quoted: text
                .lines()
                .map(|l| format!("> {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            text,
            reach: f
                .reach_score
                .map_or_else(String::new, |r| format!("{r:.0}/100")),
            sentiment: match (&f.label, f.compound) {
                (Some(l), Some(c)) => format!("{} ({c:+.2})", label_name(l, lang)),
                _ => String::new(),
            },
            reason: body_text(&f.reason, 600),
            ack: format!("fanwatch flags ack {}", f.id),
            when: f
                .published_at
                .unwrap_or(f.created_at)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "flags.txt")]
struct FlagsText<'a> {
    t: &'a Texts,
    intro: &'a str,
    flags: &'a [FlagView],
}

#[derive(Template)]
#[template(path = "flags.html")]
struct FlagsHtml<'a> {
    t: &'a Texts,
    intro: &'a str,
    flags: &'a [FlagView],
}

fn rendered(
    subject: String,
    text: Result<String, askama::Error>,
    html: Result<String, askama::Error>,
    attachment: Option<(String, String)>,
) -> Result<RenderedEmail, String> {
    Ok(RenderedEmail {
        subject: one_line(&subject, 200),
        text: text.map_err(|e| format!("template: {e}"))?,
        html: html.map_err(|e| format!("template: {e}"))?,
        attachment,
    })
}

/// An immediate alert for one flag.
pub fn alert(flag: &FlagDetail, lang: Language) -> Result<RenderedEmail, String> {
    let view = [FlagView::new(flag, lang)];
    let t = texts(lang);
    let who = if view[0].author.is_empty() {
        String::new()
    } else {
        format!(" — {}", view[0].author)
    };
    let subject = format!(
        "[fanwatch] {} ({}): {}{who}",
        view[0].kind, view[0].severity, view[0].brand
    );
    rendered(
        subject,
        FlagsText {
            t,
            intro: t.alert_intro,
            flags: &view,
        }
        .render(),
        FlagsHtml {
            t,
            intro: t.alert_intro,
            flags: &view,
        }
        .render(),
        None,
    )
}

/// A digest of several flags.
pub fn digest(flags: &[FlagDetail], lang: Language) -> Result<RenderedEmail, String> {
    let views: Vec<FlagView> = flags.iter().map(|f| FlagView::new(f, lang)).collect();
    let t = texts(lang);
    let subject = match lang {
        Language::En => format!("[fanwatch] {} flags to look at", views.len()),
        Language::Et => format!("[fanwatch] {} märget ülevaatamiseks", views.len()),
    };
    rendered(
        subject,
        FlagsText {
            t,
            intro: t.digest_intro,
            flags: &views,
        }
        .render(),
        FlagsHtml {
            t,
            intro: t.digest_intro,
            flags: &views,
        }
        .render(),
        None,
    )
}

#[derive(Template)]
#[template(path = "weekly.txt")]
struct WeeklyText<'a> {
    t: &'a Texts,
    r: &'a WeeklyView,
}

#[derive(Template)]
#[template(path = "weekly.html")]
struct WeeklyHtml<'a> {
    t: &'a Texts,
    r: &'a WeeklyView,
}

/// One advocate line, safe for both parts.
pub struct AdvocateView {
    pub rank: usize,
    pub who: String,
    pub score: String,
    pub positive_weeks: u32,
    pub reach: String,
    pub status: &'static str,
    pub customer: String,
}

/// One week of the sentiment trend with its bar.
pub struct TrendView {
    pub week: String,
    pub average: String,
    pub mentions: i64,
    /// 0-100: the bar's width in the HTML part.
    pub width: u32,
    pub negative: bool,
    pub spark: char,
}

pub struct WeeklyView {
    pub brand: String,
    pub week: String,
    pub advocates: Vec<AdvocateView>,
    pub at_risk: Vec<AdvocateView>,
    pub negatives: Vec<FlagView>,
    pub questions: Vec<FlagView>,
    pub trend: Vec<TrendView>,
    pub sparkline: String,
    pub nps: String,
}

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

impl WeeklyView {
    pub fn new(r: &WeeklyReport, lang: Language) -> WeeklyView {
        let t = texts(lang);
        let advocate = |a: &super::weekly::AdvocateLine| AdvocateView {
            rank: a.rank,
            who: one_line(&format!("{} · {}", a.handle, a.platform), 120),
            score: format!("{:.1}", a.advocate_score),
            positive_weeks: a.positive_weeks,
            reach: format!("{:.0}", a.reach_score),
            status: if a.new { t.new } else { t.returning },
            customer: match (&a.customer_id, a.segment) {
                (Some(id), Some(seg)) => one_line(&format!("{id} ({seg})"), 80),
                (Some(id), None) => one_line(id, 80),
                _ => String::new(),
            },
        };
        let trend: Vec<TrendView> = r
            .trend
            .iter()
            .map(|w| {
                let avg = w.average.unwrap_or(0.0).clamp(-1.0, 1.0);
                // -1..1 onto the eight bar heights.
                let level = (((avg + 1.0) / 2.0) * 7.0).round() as usize;
                TrendView {
                    week: w.week.clone(),
                    average: w
                        .average
                        .map_or_else(|| "–".to_owned(), |a| format!("{a:+.2}")),
                    mentions: w.mentions,
                    width: (avg.abs() * 100.0).round() as u32,
                    negative: avg < 0.0,
                    spark: if w.average.is_some() {
                        SPARKS[level.min(7)]
                    } else {
                        ' '
                    },
                }
            })
            .collect();
        WeeklyView {
            brand: one_line(&r.brand, 100),
            week: r.week.clone(),
            advocates: r.advocates.iter().map(advocate).collect(),
            at_risk: r.at_risk.iter().map(advocate).collect(),
            negatives: r.negatives.iter().map(|f| FlagView::new(f, lang)).collect(),
            questions: r.questions.iter().map(|f| FlagView::new(f, lang)).collect(),
            sparkline: trend.iter().map(|w| w.spark).collect(),
            trend,
            nps: r.nps.as_ref().map_or_else(
                || t.none.to_owned(),
                |n| {
                    format!(
                        "{:+.0} ({} {}, {} {}, {} {})",
                        n.nps,
                        n.promoters,
                        t.promoters,
                        n.detractors,
                        t.detractors,
                        n.authors,
                        t.authors
                    )
                },
            ),
        }
    }
}

/// The weekly advocate list, with its CSV.
pub fn weekly(report: &WeeklyReport, lang: Language) -> Result<RenderedEmail, String> {
    let view = WeeklyView::new(report, lang);
    let t = texts(lang);
    let subject = match lang {
        Language::En => format!("[fanwatch] {}: advocates of {}", view.brand, view.week),
        Language::Et => format!("[fanwatch] {}: nädala {} saadikud", view.brand, view.week),
    };
    rendered(
        subject,
        WeeklyText { t, r: &view }.render(),
        WeeklyHtml { t, r: &view }.render(),
        Some((
            format!("advocates-{}-{}.csv", view.brand, view.week),
            report.csv.clone(),
        )),
    )
}
