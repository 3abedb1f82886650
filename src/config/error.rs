use std::fmt;
use std::path::PathBuf;

/// A configuration problem. Always names where it is: the file, the key, and the line when
/// the key is in the file (or the environment variable when it came from there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    /// Dotted key path, e.g. `sources[2].url`; empty for whole-file problems.
    pub key: String,
    pub line: Option<usize>,
    pub env_var: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("config error")?;
        if let Some(file) = &self.file {
            write!(f, " in {}", file.display())?;
        }
        if let Some(line) = self.line {
            write!(f, " at line {line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ", key `{}`", self.key)?;
        }
        if let Some(var) = &self.env_var {
            write!(f, " (set by environment variable {var})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}
