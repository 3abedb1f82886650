//! Alert emails end to end against a real SMTP server process (aiosmtpd), on SQLite and
//! PostgreSQL: flags raised by a poll are delivered with their content, the digest gathers
//! the rest, a server that is down for a while gets every email exactly once, a daemon killed
//! with SIGKILL mid-send loses nothing and repeats only the same Message-ID, hostile mention
//! text cannot inject headers, HTML or links, and the hourly cap and the allow-list hold.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::smtp::{Received, SmtpSink, notify_toml};
use common::{Backend, TestDb, config_toml, write_config};
use fanwatch::config::{Config, load_str};
use fanwatch::metrics::Metrics;
use fanwatch::notify::Notifier;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An RSS feed of (author, text) posts, published over the last days.
fn feed(posts: &[(&str, &str)]) -> String {
    let now = Utc::now();
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title><link>https://example.com/</link>",
    );
    for (i, (author, text)) in posts.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>p{i}</guid><link>https://example.com/p{i}</link><description>{text}</description><dc:creator>{author}</dc:creator><pubDate>{}</pubDate></item>",
            (now - chrono::Duration::hours(2 + i as i64)).to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>");
    out
}

const POSTS: [(&str, &str); 3] = [
    (
        "leaver",
        "I am cancelling my Acme subscription and switching to another provider.",
    ),
    ("curious", "Does Acme support IPv6 on the free plan?"),
    (
        "grumpy",
        "Acme billed me twice and support is terrible, very disappointed.",
    ),
];

struct World {
    db: TestDb,
    _feed: MockServer,
    dir: tempfile::TempDir,
    toml: String,
    config: Config,
}

impl World {
    async fn new(
        backend: Backend,
        posts: &[(&str, &str)],
        smtp_url: &str,
        extra: &str,
    ) -> Option<World> {
        let db = TestDb::new(backend).await?;
        let server = MockServer::start().await;
        Mock::given(path("/feed"))
            .respond_with(ResponseTemplate::new(200).set_body_string(feed(posts)))
            .mount(&server)
            .await;
        let toml = format!(
            "{}\n{}",
            config_toml(&db.url, &[("forum", format!("{}/feed", server.uri()))]),
            notify_toml(smtp_url, extra)
        );
        let config = load_str(&toml, None, &[]).expect("test config");
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), &toml);
        Some(World {
            db,
            _feed: server,
            dir,
            toml,
            config,
        })
    }

    fn config_path(&self) -> String {
        self.dir.path().join("fanwatch.toml").display().to_string()
    }

    async fn poll(&self) {
        common::poller_from(&self.config, &self.db)
            .await
            .cycle(false, None)
            .await
            .unwrap();
    }

    async fn notifier(&self) -> Notifier {
        Notifier::new(&self.config, self.db.store().await, Metrics::new())
            .unwrap()
            .expect("notify is configured")
    }
}

/// `check-config` on `toml` (written into `w`'s folder) must fail with exit 2; its stderr.
fn config_error(w: &World, toml: &str) -> String {
    let cfg = write_config(w.dir.path(), toml);
    let out = common::fanwatch(&["--config", cfg.to_str().unwrap(), "check-config"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    common::stderr(&out)
}

fn to(r: &Received) -> &str {
    r.rcpt_tos[0].as_str()
}

fn ids(received: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = received
        .iter()
        .filter_map(|r| r.message_id.clone())
        .collect();
    ids.sort();
    ids
}

async fn alerts_now_and_the_rest_in_the_digest(backend: Backend) {
    let Some(sink) = SmtpSink::start(&[]) else {
        return;
    };
    let Some(w) = World::new(backend, &POSTS, &sink.url(), "").await else {
        return;
    };
    w.poll().await;
    let n = w.notifier().await;
    let report = n.drain(Duration::from_secs(30)).await.unwrap();
    // churn_risk is high severity: one alert per recipient (Acme route + all-brands route).
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(report.sent, 2, "{report:?}");
    assert_eq!(got.len(), 2, "{got:#?}");
    let en = got
        .iter()
        .find(|r| to(r) == "marketing@example.com")
        .unwrap();
    let et = got
        .iter()
        .find(|r| to(r) == "tiim@kliendid.example.com")
        .unwrap();
    assert_eq!(
        en.subject,
        "[fanwatch] Churn risk (high): Acme — leaver · web"
    );
    assert_eq!(
        et.subject,
        "[fanwatch] Lahkumisoht (kõrge): Acme — leaver · web"
    );
    assert_eq!(en.mail_from, "fanwatch@example.com");
    for part in [&en.text, &en.html] {
        assert!(part.contains("cancelling my Acme subscription"), "{part}");
        assert!(part.contains("https://example.com/p0"), "{part}");
        assert!(part.contains("fanwatch flags ack"), "{part}");
        assert!(part.contains("Reach"), "{part}");
        assert!(
            part.contains("negative") || part.contains("neutral"),
            "{part}"
        );
    }
    assert!(
        en.html.contains("<a href=\"https://example.com/p0\">"),
        "{}",
        en.html
    );
    assert!(et.text.contains("Ava postitus"), "{}", et.text);
    let mid = en.message_id.clone().unwrap();
    assert!(
        mid.starts_with('<') && mid.ends_with("@example.com>"),
        "{mid}"
    );

    // The question (low) and the complaint (medium) wait for the digest: one per recipient.
    let later = Utc::now() + chrono::Duration::hours(2);
    let step = n.try_send_next(later).await.unwrap();
    assert_eq!(step.digests, 2, "{step:?}");
    let got = sink.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 4);
    let digest = got
        .iter()
        .find(|r| r.subject.contains("flags to look at"))
        .unwrap();
    assert_eq!(digest.subject, "[fanwatch] 2 flags to look at");
    assert!(digest.text.contains("IPv6"), "{}", digest.text);
    assert!(digest.text.contains("billed me twice"), "{}", digest.text);
    assert!(
        got.iter()
            .any(|r| r.subject == "[fanwatch] 2 märget ülevaatamiseks")
    );

    // Nothing goes out twice.
    assert!(
        n.try_send_next(later + chrono::Duration::hours(3))
            .await
            .unwrap()
            .is_idle()
    );
    let all = sink.received();
    assert_eq!(all.len(), 4);
    let mut unique = ids(&all);
    unique.dedup();
    assert_eq!(unique.len(), 4);

    let status = common::fanwatch(&[
        "--config",
        &w.config_path(),
        "notify",
        "status",
        "--format",
        "json",
    ]);
    assert!(status.status.success(), "{}", common::stderr(&status));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let sent: i64 = status["counts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "sent")
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(sent, 4, "{status:#}");
    w.db.cleanup().await;
}

async fn server_down_then_back_delivers_each_email_once(backend: Backend) {
    let port = common::smtp::free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let posts = [
        POSTS[0],
        (
            "quitter",
            "Cancelling my Acme account today, switching to a competitor.",
        ),
    ];
    let Some(w) = World::new(backend, &posts, &url, "max_attempts = 50").await else {
        return;
    };
    if !common::smtp::available() {
        return;
    }
    w.poll().await;
    let n = w.notifier().await;
    let first = n.try_send_next(Utc::now()).await.unwrap();
    assert_eq!(first.sent, 0);
    assert_eq!(first.retried, 4, "{first:?}");
    let status = common::fanwatch(&["--config", &w.config_path(), "notify", "status"]);
    assert!(
        common::stdout(&status).contains("pending"),
        "{}",
        common::stdout(&status)
    );

    // Back up, and refusing the first two messages with 451 for good measure.
    let sink = SmtpSink::start_on(port, &["--fail-first", "2"]).unwrap();
    let mut now = Utc::now();
    for _ in 0..20 {
        now += chrono::Duration::seconds(10);
        n.try_send_next(now).await.unwrap();
        if sink.received().len() >= 4 {
            break;
        }
    }
    let got = sink.wait_for(4, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 4, "{got:#?}");
    let mut unique = ids(&got);
    unique.dedup();
    assert_eq!(unique.len(), 4, "each email exactly once");
    for _ in 0..3 {
        now += chrono::Duration::minutes(10);
        n.try_send_next(now).await.unwrap();
    }
    assert_eq!(sink.received().len(), 4);
    w.db.cleanup().await;
}

async fn sigkill_between_claim_and_sent_loses_and_duplicates_nothing(backend: Backend) {
    // The first message is recorded by the server, whose answer then hangs: the daemon has
    // claimed it and is waiting when it is killed.
    let Some(sink) = SmtpSink::start(&["--stall-first", "30"]) else {
        return;
    };
    let posts = [
        POSTS[0],
        (
            "quitter",
            "Cancelling my Acme account today, switching to a competitor.",
        ),
    ];
    let Some(w) = World::new(backend, &posts, &sink.url(), "concurrency = 1").await else {
        return;
    };
    let mut daemon = Daemon(
        common::fanwatch_command()
            .args(["--config", &w.config_path(), "run"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let got = sink.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(got.len(), 1, "the first email reached the server");
    daemon.0.kill().unwrap(); // SIGKILL
    daemon.0.wait().unwrap();
    let store = w.db.store().await;
    let claimed = store.outbox_rows(Some("sending"), 100).await.unwrap();
    assert!(!claimed.is_empty(), "rows stay claimed after the kill");
    assert!(
        store
            .outbox_rows(Some("sent"), 100)
            .await
            .unwrap()
            .is_empty()
    );

    // A new daemon (here the one-shot sender) reclaims them once the lease is over.
    sink_restart_plain(sink, |sink| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let out = common::fanwatch(&["--config", &w.config_path(), "notify", "send"]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        let got = sink.wait_for(5, Duration::from_secs(5)).await;
        let distinct = {
            let mut u = ids(&got);
            u.dedup();
            u
        };
        assert_eq!(distinct.len(), 4, "every email arrived: {got:#?}");
        assert_eq!(got.len(), 5, "only the interrupted one twice: {got:#?}");
        let first = got[0].message_id.clone();
        assert_eq!(
            got.iter().filter(|r| r.message_id == first).count(),
            2,
            "the repeat is the same email"
        );
        let sent = store.outbox_rows(Some("sent"), 100).await.unwrap();
        assert_eq!(sent.len(), 4);
        w.db.cleanup().await;
    })
    .await;
}

/// A daemon process that is killed however the test ends.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Restarts the sink without the stall (keeping what it received) and runs `f` with it.
async fn sink_restart_plain<F, Fut>(mut sink: SmtpSink, f: F)
where
    F: FnOnce(SmtpSink) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    sink.restart(&[]);
    f(sink).await;
}

async fn hostile_text_cannot_inject_headers_html_or_links(backend: Backend) {
    let Some(sink) = SmtpSink::start(&[]) else {
        return;
    };
    let posts = [(
        "Mallory&#13;&#10;Bcc: victim@evil.example",
        "Cancelling my Acme subscription! &amp;lt;img src=x onerror=alert(1)&amp;gt; &lt;a href=&quot;https://evil.example/login&quot;&gt;claim refund&lt;/a&gt; at https://evil.example/login or www.evil.example\r\nSubject: hacked",
    )];
    let Some(w) = World::new(backend, &posts, &sink.url(), "").await else {
        return;
    };
    w.poll().await;
    w.notifier()
        .await
        .drain(Duration::from_secs(30))
        .await
        .unwrap();
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    for r in &got {
        assert_eq!(
            r.rcpt_tos.len(),
            1,
            "no injected recipient: {:?}",
            r.rcpt_tos
        );
        assert!(r.header("Bcc").is_empty(), "{:?}", r.headers);
        assert_eq!(r.header("Subject").len(), 1);
        assert!(
            !r.subject.contains('\n') && !r.subject.contains('\r'),
            "{}",
            r.subject
        );
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(!r.html.contains("<a href=\"https://evil"), "{}", r.html);
        assert!(
            r.html.contains("&lt;img") || r.html.contains("&#60;img"),
            "escaped, not dropped: {}",
            r.html
        );
        for part in [&r.text, &r.html] {
            assert!(!part.contains("https://evil.example"), "{part}");
            assert!(!part.contains("www.evil.example"), "{part}");
        }
        let links: Vec<&str> = r
            .html
            .match_indices("href=")
            .map(|(i, _)| &r.html[i..])
            .collect();
        assert!(
            links
                .iter()
                .all(|l| l.starts_with("href=\"https://example.com/")),
            "only the post's own link: {links:?}"
        );
    }
    w.db.cleanup().await;
}

async fn hourly_cap_folds_alerts_into_the_digest_and_allow_list_holds(backend: Backend) {
    let Some(sink) = SmtpSink::start(&[]) else {
        return;
    };
    let posts: Vec<(String, String)> = (0..5)
        .map(|i| {
            (
                format!("leaver{i}"),
                format!(
                    "Cancelling my Acme subscription number {i}, switching to another provider."
                ),
            )
        })
        .collect();
    let posts: Vec<(&str, &str)> = posts
        .iter()
        .map(|(a, t)| (a.as_str(), t.as_str()))
        .collect();
    let Some(w) = World::new(
        backend,
        &posts,
        &sink.url(),
        "max_per_recipient_per_hour = 2",
    )
    .await
    else {
        return;
    };
    w.poll().await;
    let n = w.notifier().await;
    let report = n.drain(Duration::from_secs(30)).await.unwrap();
    assert_eq!(report.sent, 4, "2 per recipient: {report:?}");
    assert_eq!(report.folded, 6, "{report:?}");
    assert_eq!(sink.wait_for(4, Duration::from_secs(5)).await.len(), 4);
    // Within the hour the digest waits too; after it, one digest carries the 3 folded alerts.
    let step = n
        .try_send_next(Utc::now() + chrono::Duration::minutes(90))
        .await
        .unwrap();
    assert_eq!(step.sent, 2, "{step:?}");
    let got = sink.wait_for(6, Duration::from_secs(5)).await;
    let digest = got
        .iter()
        .find(|r| r.subject == "[fanwatch] 3 flags to look at")
        .unwrap();
    assert_eq!(to(digest), "marketing@example.com");
    assert_eq!(
        digest.text.matches("fanwatch flags ack").count(),
        3,
        "{}",
        digest.text
    );

    // A recipient taken off the allow-list after its email was queued never gets it.
    let narrowed = w
        .toml
        .replace(r#""*@kliendid.example.com""#, r#""*@other.example.com""#)
        .replace(
            r#"to = ["tiim@kliendid.example.com"]"#,
            r#"to = ["x@other.example.com"]"#,
        );
    let mut config = load_str(&narrowed, None, &[]).unwrap();
    config.notify.routes.truncate(1);
    let store = w.db.store().await;
    let flag = fanwatch::storage::NewFlag {
        kind: "churn_risk",
        severity: "high",
        reason: "test".into(),
        brand: "Acme".into(),
        author_id: None,
        mention_id: None,
        cause_key: "test:allow-list".into(),
    };
    let old = Notifier::new(&w.config, store.clone(), Metrics::new())
        .unwrap()
        .unwrap();
    let queue =
        |id: i64, f: &fanwatch::storage::NewFlag| old.router().flag_emails(id, f, Utc::now());
    store
        .raise_flags(std::slice::from_ref(&flag), None, Utc::now(), &queue)
        .await
        .unwrap();
    let to_tiim = |r: &&Received| to(r) == "tiim@kliendid.example.com";
    let before = sink.received().iter().filter(to_tiim).count();
    let later = Utc::now() + chrono::Duration::hours(5);
    let now_narrowed = Notifier::new(&config, store.clone(), Metrics::new())
        .unwrap()
        .unwrap();
    let step = now_narrowed.try_send_next(later).await.unwrap();
    assert_eq!(step.dead, 1, "{step:?}");
    assert_eq!(step.sent, 1, "{step:?}");
    assert_eq!(
        sink.wait_for(7, Duration::from_secs(5))
            .await
            .iter()
            .filter(to_tiim)
            .count(),
        before
    );
    let dead = store.outbox_rows(Some("dead"), 10).await.unwrap();
    assert_eq!(dead[0].recipient, "tiim@kliendid.example.com");

    // A config naming a recipient outside the allow-list does not load.
    let bad = w.toml.replace(
        r#"to = ["marketing@example.com"]"#,
        r#"to = ["ceo@elsewhere.example"]"#,
    );
    let error = config_error(&w, &bad);
    assert!(error.contains("notify.routes[0].to[0]"), "{error}");
    assert!(error.contains("allow_recipients"), "{error}");
    w.db.cleanup().await;
}

async fn preview_shows_exactly_what_is_sent_and_auth_comes_from_the_environment(backend: Backend) {
    let Some(sink) = SmtpSink::start(&["--auth", "fanwatch:s3cret"]) else {
        return;
    };
    let Some(w) = World::new(backend, &POSTS[..1], &sink.url(), "").await else {
        return;
    };
    w.poll().await;
    let cfg = w.config_path();
    let flags = common::fanwatch(&["--config", &cfg, "flags", "--format", "json"]);
    let flags: serde_json::Value = serde_json::from_slice(&flags.stdout).unwrap();
    let id = flags[0]["id"].as_i64().unwrap().to_string();
    let preview = common::fanwatch(&["--config", &cfg, "notify", "preview", "--flag", &id]);
    assert!(preview.status.success(), "{}", common::stderr(&preview));
    let preview = common::stdout(&preview);

    // Without credentials the server refuses: retried, not lost.
    let out = common::fanwatch(&["--config", &cfg, "notify", "send"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(sink.received().is_empty());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let out = common::fanwatch_command()
        .args(["--config", &cfg, "notify", "send"])
        .env("FANWATCH_SMTP_USERNAME", "fanwatch")
        .env("FANWATCH_SMTP_PASSWORD", "s3cret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let got = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2, "{}", common::stdout(&out));
    for r in &got {
        let mid = r.message_id.as_deref().unwrap();
        assert!(preview.contains(&format!("Message-ID: {mid}")), "{preview}");
        assert!(
            preview.contains(&format!("Subject: {}", r.subject)),
            "{preview}"
        );
        let text = r.text.replace("\r\n", "\n");
        assert!(
            preview.contains(text.trim_end()),
            "text part as previewed:\n{text}\n---\n{preview}"
        );
    }
    assert!(!common::stderr(&out).contains("s3cret"));
    w.db.cleanup().await;
}

/// STARTTLS (required) and implicit TLS to servers whose certificate a private CA signed:
/// delivered with `notify.smtp_ca_file`, refused (and kept for retry) without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_checks_the_server_certificate() {
    if !common::smtp::available() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = common::smtp::test_ca(certs.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let ca_line = format!("smtp_ca_file = \"{}\"", ca.display());
    let starttls = SmtpSink::start(&["--tls", cert, key]).unwrap();
    let wrapped = SmtpSink::start(&["--tls-wrap", cert, key]).unwrap();
    let cases = [
        (
            format!("smtp://127.0.0.1:{}?tls=required", starttls.port),
            &starttls,
        ),
        (format!("smtps://127.0.0.1:{}", wrapped.port), &wrapped),
    ];
    for (url, sink) in cases {
        // Without the CA the certificate is unknown: nothing is sent, the alerts wait.
        let w = World::new(Backend::Sqlite, &POSTS[..1], &url, "")
            .await
            .unwrap();
        w.poll().await;
        let report = w
            .notifier()
            .await
            .drain(Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!((report.sent, report.retried), (0, 2), "{url}: {report:?}");
        let pending =
            w.db.store()
                .await
                .outbox_rows(Some("pending"), 10)
                .await
                .unwrap();
        let error = pending[0].last_error.clone().unwrap_or_default();
        assert!(
            error.to_lowercase().contains("certificate"),
            "{url}: {error}"
        );
        assert!(sink.received().is_empty());

        let w = World::new(Backend::Sqlite, &POSTS[..1], &url, &ca_line)
            .await
            .unwrap();
        w.poll().await;
        let report = w
            .notifier()
            .await
            .drain(Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!(report.sent, 2, "{url}: {report:?}");
        assert_eq!(
            sink.wait_for(2, Duration::from_secs(5)).await.len(),
            2,
            "{url}"
        );
    }
    // A CA file with a plain connection is a configuration error.
    let plain = World::new(Backend::Sqlite, &POSTS[..1], "smtp://127.0.0.1:1", "")
        .await
        .unwrap();
    let bad = plain
        .toml
        .replace("[notify]\n", &format!("[notify]\n{ca_line}\n"));
    let error = config_error(&plain, &bad);
    assert!(error.contains("notify.smtp_ca_file"), "{error}");
}

backend_tests!(
    alerts_now_and_the_rest_in_the_digest,
    server_down_then_back_delivers_each_email_once,
    sigkill_between_claim_and_sent_loses_and_duplicates_nothing,
    hostile_text_cannot_inject_headers_html_or_links,
    hourly_cap_folds_alerts_into_the_digest_and_allow_list_holds,
    preview_shows_exactly_what_is_sent_and_auth_comes_from_the_environment,
);
