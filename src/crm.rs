//! CRM link: customer records read from a CSV export, each with the social handles that
//! belong to it. The file is parsed and checked here, completely, before anything is stored:
//! either every line is good or the caller gets the list of every bad line.
//!
//! Format (header exactly as shown, UTF-8, optional BOM, LF or CRLF, cells trimmed):
//!
//! ```text
//! customer_id,name,email,segment,lifecycle_stage,handles
//! C-1001,Kadri Tamm,kadri@example.ee,top,customer,mastodon:@Kadri@Mastodon.ee;reddit:kadri_t
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use crate::domain::{Handle, Platform};

/// The header line, column names in this order.
pub const HEADER: [&str; 6] = [
    "customer_id",
    "name",
    "email",
    "segment",
    "lifecycle_stage",
    "handles",
];

/// Longest accepted `customer_id`, in characters.
pub const MAX_CUSTOMER_ID_CHARS: usize = 200;

/// How valuable a customer is to the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    Potential,
    Prospective,
    Small,
    Medium,
    Large,
    Top,
}

impl Segment {
    pub const ALL: [Segment; 6] = [
        Segment::Potential,
        Segment::Prospective,
        Segment::Small,
        Segment::Medium,
        Segment::Large,
        Segment::Top,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Potential => "potential",
            Segment::Prospective => "prospective",
            Segment::Small => "small",
            Segment::Medium => "medium",
            Segment::Large => "large",
            Segment::Top => "top",
        }
    }

    /// Case-insensitive, surrounding white space ignored.
    pub fn parse(raw: &str) -> Option<Segment> {
        let raw = raw.trim();
        Segment::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One handle of a customer: the platform and the handle as authors are matched, i.e. as
/// `Handle::parse` keeps it (no surrounding space, no leading '@'), lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerHandle {
    pub platform: Platform,
    pub handle: String,
}

impl CustomerHandle {
    /// `platform` is one of `Platform::as_str` (case-insensitive); `handle` is normalised.
    pub fn parse(platform: &str, handle: &str) -> Result<Self, String> {
        let platform_text = platform.trim().to_lowercase();
        let platform = Platform::parse(&platform_text).ok_or_else(|| {
            format!(
                "unknown platform {platform_text:?} (expected one of web, mastodon, reddit, \
                 hackernews, bluesky, lemmy, appstore, youtube)"
            )
        })?;
        Ok(Self {
            platform,
            handle: normalize_handle(handle)?,
        })
    }
}

impl fmt::Display for CustomerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.handle)
    }
}

/// A handle as stored in `customer_handles.handle`: `Handle::parse`, then lowercased.
pub fn normalize_handle(raw: &str) -> Result<String, String> {
    Handle::parse(raw)
        .map(|h| h.as_str().to_lowercase())
        .map_err(|e| e.to_string())
}

/// One customer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// Non-empty, at most 200 characters, unique within a file.
    pub customer_id: String,
    pub name: String,
    /// `None` when the cell is empty.
    pub email: Option<String>,
    pub segment: Segment,
    /// Free text; `None` when the cell is empty.
    pub lifecycle_stage: Option<String>,
    /// No duplicates; none claimed by another customer of the same file.
    pub handles: Vec<CustomerHandle>,
}

/// One problem on one line of the file (a line can have several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line in the file; the header is line 1. A record with a quoted line break is
    /// reported at the line it starts on.
    pub line: u64,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a file was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CsvErrors {
    /// The input could not be read at all.
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    /// The first line is not the expected header.
    #[error("expected the header `{}`, found `{found}`", HEADER.join(","))]
    Header { found: String },
    /// Every bad line, in file order.
    #[error("{} bad line(s)", .0.len())]
    Lines(Vec<LineError>),
}

/// Reads and checks a whole CSV file. Nothing is returned unless every line is good.
pub fn parse_customers(mut reader: impl Read) -> Result<Vec<CustomerRecord>, CsvErrors> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let data = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);

    let mut records = csv.byte_records();
    let header = match records.next() {
        None => {
            return Err(CsvErrors::Header {
                found: String::new(),
            });
        }
        Some(Err(e)) => {
            return Err(CsvErrors::Header {
                found: format!("an unreadable line ({e})"),
            });
        }
        Some(Ok(h)) => h,
    };
    let header_ok = header.len() == HEADER.len()
        && header
            .iter()
            .zip(HEADER)
            .all(|(got, want)| got == want.as_bytes());
    if !header_ok {
        let found: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        return Err(CsvErrors::Header {
            found: found.join(","),
        });
    }

    let mut out = Vec::new();
    let mut errors = Vec::new();
    // customer_id → line it was first seen on; (platform, handle) → (customer_id, line).
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut claimed: HashMap<CustomerHandle, (String, u64)> = HashMap::new();
    let mut last_line = 1;
    for result in records {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                // A malformed record (e.g. an I/O error part-way); csv positions are 1-based.
                let line = e.position().map_or(last_line + 1, |p| p.line());
                errors.push(LineError {
                    line,
                    message: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        let mut problems = Vec::new();
        let parsed = parse_row(&record, &mut problems);
        // Ids count as used even on a bad line, so a later line reusing one is reported too.
        let id = record
            .get(0)
            .map(|raw| String::from_utf8_lossy(raw).trim().to_owned())
            .unwrap_or_default();
        if !id.is_empty() {
            match ids.get(&id) {
                Some(first) => {
                    problems.push(format!("customer_id {id:?} already used on line {first}"))
                }
                None => {
                    ids.insert(id, line);
                }
            }
        }
        if let Some(customer) = parsed {
            for h in &customer.handles {
                if let Some((other, at)) = claimed.get(h)
                    && *other != customer.customer_id
                {
                    problems.push(format!(
                        "handle {h} already belongs to customer {other:?} (line {at})"
                    ));
                }
            }
            if problems.is_empty() {
                for h in &customer.handles {
                    claimed.insert(h.clone(), (customer.customer_id.clone(), line));
                }
                out.push(customer);
            }
        }
        errors.extend(
            problems
                .into_iter()
                .map(|message| LineError { line, message }),
        );
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(CsvErrors::Lines(errors))
    }
}

/// One data row; every problem found goes to `problems` (then the result is `None`).
fn parse_row(record: &csv::ByteRecord, problems: &mut Vec<String>) -> Option<CustomerRecord> {
    if record.len() != HEADER.len() {
        problems.push(format!(
            "expected {} columns ({}), found {}",
            HEADER.len(),
            HEADER.join(","),
            record.len()
        ));
        return None;
    }
    let mut cells: Vec<&str> = Vec::with_capacity(HEADER.len());
    for (raw, column) in record.iter().zip(HEADER) {
        match std::str::from_utf8(raw) {
            Ok(s) => cells.push(s.trim()),
            Err(_) => {
                problems.push(format!("{column} is not valid UTF-8"));
                cells.push("");
            }
        }
    }
    let [customer_id, name, email, segment, lifecycle_stage, handles] = cells[..] else {
        return None;
    };
    let before = problems.len();

    if customer_id.is_empty() {
        problems.push("customer_id is empty".into());
    } else if customer_id.chars().count() > MAX_CUSTOMER_ID_CHARS {
        problems.push(format!(
            "customer_id is longer than {MAX_CUSTOMER_ID_CHARS} characters"
        ));
    }
    if !email.is_empty() && !plausible_email(email) {
        problems.push(format!("email {email:?} is not an e-mail address"));
    }
    let parsed_segment = Segment::parse(segment);
    if parsed_segment.is_none() {
        problems.push(format!(
            "segment {segment:?} is not one of potential, prospective, small, medium, large, top"
        ));
    }
    let mut parsed_handles: Vec<CustomerHandle> = Vec::new();
    for item in handles.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((platform, handle)) = item.split_once(':') else {
            problems.push(format!(
                "handle {item:?} is not platform:handle (e.g. mastodon:@mari@mastodon.ee)"
            ));
            continue;
        };
        match CustomerHandle::parse(platform, handle) {
            Ok(h) if parsed_handles.contains(&h) => {} // the same handle twice: once is enough
            Ok(h) => parsed_handles.push(h),
            Err(e) => problems.push(format!("handle {item:?}: {e}")),
        }
    }

    if problems.len() > before {
        return None;
    }
    Some(CustomerRecord {
        customer_id: customer_id.to_owned(),
        name: name.to_owned(),
        email: (!email.is_empty()).then(|| email.to_owned()),
        segment: parsed_segment?,
        lifecycle_stage: (!lifecycle_stage.is_empty()).then(|| lifecycle_stage.to_owned()),
        handles: parsed_handles,
    })
}

/// One '@' with text on both sides, no white space.
fn plausible_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "customer_id,name,email,segment,lifecycle_stage,handles\n";

    fn parse(body: &str) -> Result<Vec<CustomerRecord>, CsvErrors> {
        parse_customers(format!("{HEAD}{body}").as_bytes())
    }

    fn line_errors(body: &str) -> Vec<LineError> {
        match parse(body) {
            Err(CsvErrors::Lines(lines)) => lines,
            other => panic!("expected line errors, got {other:?}"),
        }
    }

    #[test]
    fn segments_parse_case_insensitively() {
        assert_eq!(Segment::parse(" TOP "), Some(Segment::Top));
        assert_eq!(Segment::parse("Prospective"), Some(Segment::Prospective));
        assert_eq!(Segment::parse("huge"), None);
        for s in Segment::ALL {
            assert_eq!(Segment::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn platform_names_round_trip() {
        for p in [
            Platform::Web,
            Platform::Mastodon,
            Platform::Reddit,
            Platform::HackerNews,
            Platform::Bluesky,
            Platform::Lemmy,
            Platform::AppStore,
            Platform::YouTube,
        ] {
            assert_eq!(Platform::parse(p.as_str()), Some(p));
        }
        assert_eq!(Platform::parse("Mastodon"), None);
        assert_eq!(
            CustomerHandle::parse(" Mastodon ", "@X")
                .unwrap()
                .to_string(),
            "mastodon:x"
        );
    }

    #[test]
    fn good_rows_are_normalised() {
        let rows = parse(
            " C-1 , Kadri Tamm ,kadri@example.ee, TOP ,customer, mastodon:@Kadri@Mastodon.ee ; Reddit:Kadri_T ;\n\
             C-2,Mari,,small,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        let kadri = &rows[0];
        assert_eq!(kadri.customer_id, "C-1");
        assert_eq!(kadri.name, "Kadri Tamm");
        assert_eq!(kadri.email.as_deref(), Some("kadri@example.ee"));
        assert_eq!(kadri.segment, Segment::Top);
        assert_eq!(kadri.lifecycle_stage.as_deref(), Some("customer"));
        assert_eq!(
            kadri.handles,
            vec![
                CustomerHandle {
                    platform: Platform::Mastodon,
                    handle: "kadri@mastodon.ee".into()
                },
                CustomerHandle {
                    platform: Platform::Reddit,
                    handle: "kadri_t".into()
                },
            ]
        );
        assert_eq!(rows[1].email, None);
        assert_eq!(rows[1].lifecycle_stage, None);
        assert!(rows[1].handles.is_empty());
    }

    #[test]
    fn bom_crlf_and_quotes_are_accepted() {
        let text = "\u{feff}customer_id,name,email,segment,lifecycle_stage,handles\r\n\
                    C-1,\"Tamm, Kadri\",,medium,lead,web:https://kadri.example\r\n";
        let rows = parse_customers(text.as_bytes()).unwrap();
        assert_eq!(rows[0].name, "Tamm, Kadri");
        assert_eq!(rows[0].handles[0].to_string(), "web:https://kadri.example");
    }

    #[test]
    fn header_only_is_an_empty_import() {
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn wrong_or_missing_header_is_rejected() {
        for text in [
            "",
            "id,name,email,segment,lifecycle_stage,handles\nC-1,a,,top,,\n",
            "customer_id,name,email,segment,lifecycle_stage\n",
            "name,customer_id,email,segment,lifecycle_stage,handles\n",
        ] {
            assert!(
                matches!(
                    parse_customers(text.as_bytes()),
                    Err(CsvErrors::Header { .. })
                ),
                "{text:?}"
            );
        }
    }

    #[test]
    fn every_bad_line_is_listed() {
        let errors = line_errors(
            "C-1,Ok,,top,,mastodon:a\n\
             C-2,Bad segment,,huge,,\n\
             C-1,Duplicate,,small,,\n\
             C-3,Bad platform,,small,,myspace:tom\n\
             C-4,Bad email,not-an-email,small,,\n\
             C-5,Missing column,,small\n\
             C-6,Claims a handle,,small,,MASTODON:@A\n\
             ,No id,,small,,\n\
             C-7,Fine,,small,,\n",
        );
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9], "{errors:#?}");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].starts_with("line 3: segment \"huge\""), "{text:?}");
        assert!(text[1].contains("already used on line 2"), "{text:?}");
        assert!(text[2].contains("unknown platform \"myspace\""), "{text:?}");
        assert!(text[3].contains("email"), "{text:?}");
        assert!(text[4].contains("expected 6 columns"), "{text:?}");
        assert!(
            text[5].contains("already belongs to customer \"C-1\""),
            "{text:?}"
        );
        assert!(text[6].contains("customer_id is empty"), "{text:?}");
    }

    #[test]
    fn several_problems_on_one_line_are_all_reported() {
        let errors = line_errors("C-1,X,a b@c,nope,,bluesky:\n");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().all(|e| e.line == 2));
    }

    #[test]
    fn handles_need_a_platform_and_text() {
        let errors = line_errors("C-1,X,,top,,justahandle;reddit:@\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("not platform:handle"));
        assert!(errors[1].message.contains("handle is empty"));
    }

    #[test]
    fn the_same_handle_twice_for_one_customer_is_kept_once() {
        let rows = parse("C-1,X,,top,,reddit:Mari;reddit:@mari\n").unwrap();
        assert_eq!(rows[0].handles.len(), 1);
    }

    #[test]
    fn emails_are_checked_loosely() {
        assert!(plausible_email("a@b"));
        assert!(plausible_email("first.last+tag@example.co.uk"));
        for bad in ["a", "@b", "a@", "a@b@c", "a b@c", "a@b c"] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn long_ids_and_invalid_utf8_are_line_errors() {
        let long = "x".repeat(201);
        let errors = line_errors(&format!("{long},X,,top,,\n"));
        assert!(errors[0].message.contains("longer than 200"));
        let mut bytes = HEAD.as_bytes().to_vec();
        bytes.extend_from_slice(b"C-1,\xff\xfe,,top,,\n");
        match parse_customers(&bytes[..]) {
            Err(CsvErrors::Lines(lines)) => {
                assert_eq!(lines[0].to_string(), "line 2: name is not valid UTF-8")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoted_line_breaks_report_the_starting_line() {
        let errors = line_errors("C-1,\"two\nlines\",,bad,,\nC-2,X,,bad,,\n");
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 4]);
    }
}
