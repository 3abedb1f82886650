//! The weekly advocate list against a real SMTP server, on SQLite and PostgreSQL: the cron
//! schedule queues last week's list, two daemons stepping at the same moment send it once per
//! brand, ISO week and recipient, `report weekly --send` run again sends nothing more, and the
//! list carries advocates (new or returning), open negatives, questions, the trend and a CSV.

mod common;

use std::time::Duration;

use chrono::{Datelike, TimeZone, Utc};
use common::smtp::{SmtpSink, notify_toml};
use common::{Backend, TestDb, config_toml, write_config};
use fanwatch::config::load_str;
use fanwatch::metrics::Metrics;
use fanwatch::notify::Notifier;
use fanwatch::storage::week_of;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Posts over the three weeks before this one: two loyal fans of Acme, a complaint and a
/// question last week.
fn feed(last_monday: chrono::NaiveDate) -> String {
    let at = |weeks_back: i64, day: i64| {
        let d = last_monday - chrono::Duration::weeks(weeks_back) + chrono::Duration::days(day);
        Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
            .to_rfc2822()
    };
    let mut posts = Vec::new();
    for w in 0..3 {
        posts.push((
            "kadri",
            format!("I love Acme, great service again, highly recommend it! ({w})"),
            at(w, 1),
        ));
        posts.push((
            "mart",
            format!("Acme support was excellent and friendly this week ({w})"),
            at(w, 2),
        ));
    }
    posts.push((
        "grumpy",
        "Acme billed me twice, terrible support, very disappointed".into(),
        at(0, 3),
    ));
    posts.push((
        "curious",
        "Does Acme ship to Tartu on weekends?".into(),
        at(0, 4),
    ));
    posts.push((
        "nordfan",
        "Nordwind is wonderful, I recommend Nordwind".into(),
        at(0, 4),
    ));
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title><link>https://example.com/</link>",
    );
    for (i, (author, text, date)) in posts.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>w{i}</guid><link>https://example.com/w{i}</link><description>{text}</description><dc:creator>{author}</dc:creator><pubDate>{date}</pubDate></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

async fn weekly_list_once_per_brand_week_and_recipient(backend: Backend) {
    let Some(sink) = SmtpSink::start(&[]) else {
        return;
    };
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    // The schedule fired last Monday (always in the past, so no digest is due yet at that
    // time) and reports the week before it.
    let fired_monday = week_of(Utc::now()) - chrono::Duration::weeks(1);
    let last_monday = fired_monday - chrono::Duration::weeks(1);
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed(last_monday)))
        .mount(&server)
        .await;
    let toml = format!(
        "{}\n{}",
        config_toml(&db.url, &[("forum", format!("{}/feed", server.uri()))]),
        notify_toml(
            &sink.url(),
            "weekly_schedule = \"0 0 8 * * Mon\"\ntimezone = \"UTC\"\nimmediate_severities = []",
        )
    );
    let config = load_str(&toml, None, &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &toml);
    let cfg = cfg.to_str().unwrap();
    common::poller_from(&config, &db)
        .await
        .cycle(false, None)
        .await
        .unwrap();

    let week = fanwatch::advocates::iso_week_name(last_monday);
    let preview = common::fanwatch(&["--config", cfg, "report", "weekly", "--week", &week]);
    assert!(preview.status.success(), "{}", common::stderr(&preview));
    let preview = common::stdout(&preview);
    assert!(
        preview.contains(&format!("Subject: [fanwatch] Acme: advocates of {week}")),
        "{preview}"
    );
    assert!(
        preview.contains(&format!("Subject: [fanwatch] Acme: nädala {week} saadikud")),
        "{preview}"
    );
    assert!(
        preview.contains(&format!("Attachment: advocates-Acme-{week}.csv")),
        "{preview}"
    );
    assert!(sink.received().is_empty(), "a preview sends nothing");

    // Two daemons step at the moment the schedule fired (Monday 08:00 UTC + 30 s).
    let fired = Utc.from_utc_datetime(&fired_monday.and_hms_opt(8, 0, 30).unwrap());
    assert_eq!(fired.weekday(), chrono::Weekday::Mon);
    let a = Notifier::new(&config, db.store().await, Metrics::new())
        .unwrap()
        .unwrap();
    let b = Notifier::new(&config, db.store().await, Metrics::new())
        .unwrap()
        .unwrap();
    let (ra, rb) = tokio::join!(a.try_send_next(fired), b.try_send_next(fired));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    // Acme: both routes; Nordwind: the all-brands route.
    assert_eq!(ra.weekly + rb.weekly, 3, "{ra:?} {rb:?}");
    assert_eq!(ra.sent + rb.sent, 3, "{ra:?} {rb:?}");
    let got = sink.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3, "{got:#?}");
    let mut keys: Vec<(String, String)> = got
        .iter()
        .map(|r| (r.rcpt_tos[0].clone(), r.subject.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3);

    let en = got
        .iter()
        .find(|r| r.rcpt_tos[0] == "marketing@example.com")
        .unwrap();
    assert_eq!(en.subject, format!("[fanwatch] Acme: advocates of {week}"));
    for part in [&en.text, &en.html] {
        assert!(part.contains("kadri"), "{part}");
        assert!(part.contains("mart"), "{part}");
        assert!(part.contains("billed me twice"), "open negative: {part}");
        assert!(part.contains("Tartu"), "question: {part}");
        assert!(part.contains("Social NPS"), "{part}");
        assert!(part.contains(&week), "{part}");
    }
    assert!(
        en.text.contains("new") || en.text.contains("returning"),
        "{}",
        en.text
    );
    assert!(
        en.text.chars().any(|c| ('▁'..='█').contains(&c)),
        "sparkline: {}",
        en.text
    );
    assert!(
        en.html.contains("background:#2e7d32"),
        "trend bars: {}",
        en.html
    );
    let (name, csv) = &en.attachments[0];
    assert_eq!(name, &format!("advocates-Acme-{week}.csv"));
    assert!(
        csv.starts_with("rank,brand,platform,handle,advocate_score"),
        "{csv}"
    );
    assert!(csv.contains("kadri"), "{csv}");
    let et = got
        .iter()
        .find(|r| r.rcpt_tos[0] == "tiim@kliendid.example.com" && r.subject.contains("Acme"))
        .unwrap();
    assert!(et.text.contains("Parimad saadikud"), "{}", et.text);

    // The same week again, from the command line and from a later tick: nothing more.
    for _ in 0..2 {
        let out = common::fanwatch(&[
            "--config", cfg, "report", "weekly", "--week", &week, "--send",
        ]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        assert!(
            common::stdout(&out).contains("0 newly queued"),
            "{}",
            common::stdout(&out)
        );
    }
    let later = a
        .try_send_next(fired + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(later.weekly, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let weekly: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|r| r.subject.contains(&week))
        .collect();
    assert_eq!(weekly.len(), 3);
    db.cleanup().await;
}

backend_tests!(weekly_list_once_per_brand_week_and_recipient);
