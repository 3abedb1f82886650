//! Email addresses as the config names them, and the allow-list patterns they must match.

use std::fmt;

use serde::Deserialize;

/// A bare address (`name@domain`, no display name), lowercased so that the allow-list, the
/// hourly cap and the outbox key all see one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Recipient(String);

impl Recipient {
    pub fn parse(raw: &str) -> Result<Recipient, String> {
        let trimmed = raw.trim();
        // Anything that could end a header or start another address is refused outright,
        // rather than trusted to the parser.
        if trimmed
            .chars()
            .any(|c| c.is_control() || matches!(c, ',' | ';' | '<' | '>' | '"'))
        {
            return Err(format!("{raw:?} is not a bare email address"));
        }
        let lowered = trimmed.to_lowercase();
        lowered
            .parse::<lettre::Address>()
            .map_err(|e| format!("{raw:?} is not an email address: {e}"))?;
        Ok(Recipient(lowered))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    pub fn address(&self) -> Result<lettre::Address, lettre::address::AddressError> {
        self.0.parse()
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Recipient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Recipient::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An allow-list entry: one address, or `*@domain` for every address at that domain (not its
/// subdomains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientPattern {
    Exact(Recipient),
    Domain(String),
}

impl RecipientPattern {
    pub fn parse(raw: &str) -> Result<RecipientPattern, String> {
        match raw.trim().strip_prefix("*@") {
            Some(domain) => {
                // The domain must make a valid address on its own.
                let probe = Recipient::parse(&format!("x@{domain}"))
                    .map_err(|_| format!("{raw:?}: not a valid domain after *@"))?;
                Ok(RecipientPattern::Domain(probe.domain().to_owned()))
            }
            None => Recipient::parse(raw).map(RecipientPattern::Exact),
        }
    }

    pub fn matches(&self, to: &Recipient) -> bool {
        match self {
            RecipientPattern::Exact(r) => r == to,
            RecipientPattern::Domain(d) => to.domain() == d,
        }
    }
}

impl<'de> Deserialize<'de> for RecipientPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        RecipientPattern::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_bare_and_lowercased() {
        assert_eq!(
            Recipient::parse(" Marketing@Example.COM ")
                .unwrap()
                .as_str(),
            "marketing@example.com"
        );
        for bad in [
            "",
            "nobody",
            "a@b.com, evil@x.com",
            "Boss <boss@example.com>",
            "a@example.com\r\nBcc: evil@x.com",
            "a\"@example.com",
        ] {
            assert!(Recipient::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn patterns_match_exact_addresses_and_whole_domains() {
        let exact = RecipientPattern::parse("marketing@example.com").unwrap();
        let domain = RecipientPattern::parse("*@Example.com").unwrap();
        let r = |s: &str| Recipient::parse(s).unwrap();
        assert!(exact.matches(&r("MARKETING@example.com")));
        assert!(!exact.matches(&r("sales@example.com")));
        assert!(domain.matches(&r("sales@example.com")));
        assert!(!domain.matches(&r("sales@evil-example.com")));
        assert!(!domain.matches(&r("sales@sub.example.com")));
        assert!(!domain.matches(&r("example.com@evil.com")));
        assert!(RecipientPattern::parse("*@").is_err());
        assert!(RecipientPattern::parse("*@exa mple.com").is_err());
    }
}
