//! A real SMTP server process for the email tests: `tests/support/smtp_sink.py` on aiosmtpd
//! (PyPI). With FANWATCH_REQUIRE_SMTP=1 (set by `.ci/run`) a missing aiosmtpd fails the test;
//! elsewhere the test says loudly that it did not run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// One message as the server accepted it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub message_id: Option<String>,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub received_at: f64,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
    pub attachments: Vec<(String, String)>,
}

impl Received {
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py")
}

/// Whether aiosmtpd can be imported; fails loudly where it is required.
pub fn available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("FANWATCH_REQUIRE_SMTP").is_ok_and(|v| v == "1") {
            panic!(
                "FANWATCH_REQUIRE_SMTP=1 but python3 cannot import aiosmtpd (pip install aiosmtpd)"
            );
        }
        eprintln!(
            "WARNING: aiosmtpd not installed; this SMTP test did NOT run (pip install aiosmtpd)"
        );
    }
    ok
}

/// A free port on 127.0.0.1 (nothing listens on it until a sink is started there).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

impl SmtpSink {
    /// Starts a server on a free port; None when aiosmtpd is missing (and not required).
    pub fn start(args: &[&str]) -> Option<SmtpSink> {
        Self::start_on(free_port(), args)
    }

    pub fn start_on(port: u16, args: &[&str]) -> Option<SmtpSink> {
        if !available() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("received.jsonl");
        let mut sink = SmtpSink {
            child: None,
            port,
            out,
            _dir: dir,
        };
        sink.restart(args);
        Some(sink)
    }

    /// (Re)starts the server process on the same port, keeping what it received.
    pub fn restart(&mut self, args: &[&str]) {
        self.stop();
        let mut child = Command::new("python3")
            .args(["-W", "ignore"])
            .arg(script())
            .args(["--port", &self.port.to_string(), "--out"])
            .arg(&self.out)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start smtp_sink.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("READY"),
            "smtp_sink.py did not start: {line:?}"
        );
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("sink record"))
            .collect()
    }

    /// Waits until at least `n` messages arrived (or `timeout`), then returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n || start.elapsed() > timeout {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `[notify]` part of a test config; keys in `extra` replace the defaults here.
pub fn notify_toml(smtp_url: &str, extra: &str) -> String {
    let defaults = format!(
        r#"smtp_url = "{smtp_url}"
from = "fanwatch@example.com"
allow_recipients = ["marketing@example.com", "*@kliendid.example.com"]
max_per_recipient_per_hour = 20
retry_base_secs = 1
retry_max_secs = 2
claim_timeout_secs = 4
smtp_timeout_secs = 2
poll_interval_ms = 100
weekly_schedule = "0 0 0 1 1 * 2099""#
    );
    let overridden = |line: &str| {
        let key = line.split('=').next().unwrap_or("").trim();
        extra
            .lines()
            .any(|l| l.split('=').next().unwrap_or("").trim() == key)
    };
    let mut toml = String::from("[notify]\n");
    for line in defaults.lines().filter(|l| !overridden(l)) {
        toml.push_str(line);
        toml.push('\n');
    }
    toml.push_str(extra);
    toml.push_str(
        r#"
[[notify.routes]]
brands = ["Acme"]
to = ["marketing@example.com"]
language = "en"
[[notify.routes]]
to = ["tiim@kliendid.example.com"]
language = "et"
"#,
    );
    toml
}

/// A private CA and a server certificate it signed for 127.0.0.1, made with the openssl
/// command: (CA certificate, server certificate, server key) in `dir`.
pub fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (Debian package openssl) is needed for the TLS tests");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=fanwatch-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}
