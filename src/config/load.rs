//! Reading a config: TOML text → spanned table → environment overrides → typed `Config`.
//! Spans are kept so that every error can name the line of the key it is about.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::{Config, ConfigError, ENV_PREFIX};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PathSeg {
    Key(String),
    Index(usize),
}

fn render_path(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Reads and validates the config file at `path`, applying `FANWATCH_*__*` overrides from the
/// process environment.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: Some(path.to_owned()),
        key: String::new(),
        line: None,
        env_var: None,
        message: format!("cannot read config file: {e}"),
    })?;
    load_str(&text, Some(path.to_owned()), &process_env())
}

/// The defaults with the `FANWATCH_*__*` overrides from the process environment applied: the
/// config of a command run without a file.
pub fn load_defaults() -> Result<Config, ConfigError> {
    load_str("", None, &process_env())
}

fn process_env() -> Vec<(String, String)> {
    std::env::vars().collect()
}

/// Parses config text with the given environment (tests pass their own).
pub fn load_str(
    text: &str,
    file: Option<PathBuf>,
    env: &[(String, String)],
) -> Result<Config, ConfigError> {
    let loader = Loader { text, file };
    let table = DeTable::parse(text).map_err(|e| loader.syntax_error(&e))?;
    let overrides = env_overrides(env);
    let mut as_string = vec![false; overrides.len()];
    // An override is first read as a TOML value (numbers, booleans, arrays); if the key wants a
    // string instead, it is applied again verbatim. Each retry fixes one override, so this ends.
    loop {
        let mut merged = table.clone();
        for (i, ov) in overrides.iter().enumerate() {
            apply_override(merged.get_mut(), ov, as_string[i]).map_err(|message| ConfigError {
                file: loader.file.clone(),
                key: render_path(&ov.path),
                line: None,
                env_var: Some(ov.var.clone()),
                message,
            })?;
        }
        match deserialize(merged) {
            Ok(config) => {
                return config
                    .validate()
                    .map(|()| config)
                    .map_err(|(path, message)| loader.error_at(&table, &overrides, path, message));
            }
            Err((path, message, span)) => {
                let retry = overrides
                    .iter()
                    .enumerate()
                    .find(|(i, ov)| ov.path == path && !as_string[*i])
                    .map(|(i, _)| i)
                    .filter(|_| message.contains("invalid type"));
                if let Some(i) = retry {
                    as_string[i] = true;
                    continue;
                }
                let mut err = loader.error_at(&table, &overrides, path, message);
                if err.line.is_none() && err.env_var.is_none() {
                    err.line = span
                        .filter(|s| !s.is_empty())
                        .map(|s| loader.line_of(s.start));
                }
                return Err(err);
            }
        }
    }
}

struct Loader<'a> {
    text: &'a str,
    file: Option<PathBuf>,
}

impl Loader<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn syntax_error(&self, e: &toml::de::Error) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            key: String::new(),
            line: e.span().map(|s| self.line_of(s.start)),
            env_var: None,
            message: format!("invalid TOML: {}", e.message()),
        }
    }

    /// Builds an error about `path`, pointing at the environment variable that set it or at
    /// the line where the file sets it.
    fn error_at(
        &self,
        table: &Spanned<DeTable<'_>>,
        overrides: &[Override],
        path: Vec<PathSeg>,
        message: String,
    ) -> ConfigError {
        let env_var = overrides
            .iter()
            .find(|ov| path.starts_with(&ov.path))
            .map(|ov| ov.var.clone());
        let line = if env_var.is_some() {
            None
        } else {
            locate(table, &path).map(|offset| self.line_of(offset))
        };
        ConfigError {
            file: self.file.clone(),
            key: render_path(&path),
            line,
            env_var,
            message,
        }
    }
}

/// Byte offset of the deepest part of `path` present in the file.
fn locate(table: &Spanned<DeTable<'_>>, path: &[PathSeg]) -> Option<usize> {
    let mut offset = None;
    let mut node: Option<&DeValue<'_>> = None;
    let mut current_table = Some(table.get_ref());
    for seg in path {
        let next = match (seg, current_table, node) {
            (PathSeg::Key(k), Some(t), _) => t
                .get_key_value(k.as_str())
                .map(|(key, value)| (key.span().start, value)),
            (PathSeg::Index(i), _, Some(DeValue::Array(arr))) => {
                arr.get(*i).map(|v| (v.span().start, v))
            }
            _ => None,
        };
        let Some((start, value)) = next else { break };
        offset = Some(start);
        node = Some(value.get_ref());
        current_table = match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    offset
}

/// An environment variable that overrides one key.
struct Override {
    var: String,
    path: Vec<PathSeg>,
    value: String,
}

/// `FANWATCH_DATABASE__URL=...` → `database.url`; `FANWATCH_SOURCES__0__URL` → `sources[0].url`.
/// Only names with `__` are overrides, so `FANWATCH_CONFIG` and `FANWATCH_LOG` are not.
fn env_overrides(env: &[(String, String)]) -> Vec<Override> {
    let mut out: Vec<Override> = env
        .iter()
        .filter_map(|(var, value)| {
            let rest = var.strip_prefix(ENV_PREFIX)?;
            if !rest.contains("__") {
                return None;
            }
            let path = rest
                .split("__")
                .map(|seg| match seg.parse::<usize>() {
                    Ok(i) => PathSeg::Index(i),
                    Err(_) => PathSeg::Key(seg.to_ascii_lowercase()),
                })
                .collect();
            Some(Override {
                var: var.clone(),
                path,
                value: value.clone(),
            })
        })
        .collect();
    // Deterministic order, and array elements before their keys are set.
    out.sort_by(|a, b| a.var.cmp(&b.var));
    out
}

fn parse_env_value(raw: &str, as_string: bool) -> DeValue<'_> {
    if !as_string && let Ok(parsed) = DeValue::parse(raw) {
        return parsed.into_inner();
    }
    DeValue::String(Cow::Borrowed(raw))
}

fn apply_override<'i>(
    root: &mut DeTable<'i>,
    ov: &'i Override,
    as_string: bool,
) -> Result<(), String> {
    let value = parse_env_value(&ov.value, as_string);
    let Some((last, parents)) = ov.path.split_last() else {
        return Err("empty key".into());
    };
    let mut slot = Slot::Table(root);
    for seg in parents {
        slot = slot.child(seg)?;
    }
    slot.set(last, value)
}

enum Slot<'a, 'i> {
    Table(&'a mut DeTable<'i>),
    Array(&'a mut DeArray<'i>),
}

fn new_table<'i>() -> Spanned<DeValue<'i>> {
    Spanned::new(0..0, DeValue::Table(DeTable::new()))
}

impl<'a, 'i> Slot<'a, 'i> {
    fn child(self, seg: &PathSeg) -> Result<Slot<'a, 'i>, String> {
        let value = match (self, seg) {
            (Slot::Table(t), PathSeg::Key(k)) => {
                let key = Spanned::new(0..0, Cow::Owned(k.clone()));
                t.entry(key).or_insert_with(new_table).get_mut()
            }
            (Slot::Array(a), PathSeg::Index(i)) => {
                if *i == a.len() {
                    a.push(new_table());
                }
                a.get_mut(*i)
                    .ok_or_else(|| format!("index {i} is past the end of the list"))?
                    .get_mut()
            }
            (Slot::Table(_), PathSeg::Index(i)) => return Err(format!("{i} is not a key name")),
            (Slot::Array(_), PathSeg::Key(k)) => {
                return Err(format!("`{k}` is a list; expected an index"));
            }
        };
        match value {
            DeValue::Table(t) => Ok(Slot::Table(t)),
            DeValue::Array(a) => Ok(Slot::Array(a)),
            other => Err(format!("cannot set a key inside a {}", other.type_str())),
        }
    }

    fn set(self, seg: &PathSeg, value: DeValue<'i>) -> Result<(), String> {
        match (self, seg) {
            (Slot::Table(t), PathSeg::Key(k)) => {
                t.insert(
                    Spanned::new(0..0, Cow::Owned(k.clone())),
                    Spanned::new(0..0, value),
                );
                Ok(())
            }
            (Slot::Array(a), PathSeg::Index(i)) => {
                if *i == a.len() {
                    a.push(Spanned::new(0..0, value));
                } else if let Some(slot) = a.get_mut(*i) {
                    *slot = Spanned::new(0..0, value);
                } else {
                    return Err(format!("index {i} is past the end of the list"));
                }
                Ok(())
            }
            _ => Err("key and list index do not fit the config's shape".into()),
        }
    }
}

type DeError = (Vec<PathSeg>, String, Option<std::ops::Range<usize>>);

fn deserialize(table: Spanned<DeTable<'_>>) -> Result<Config, DeError> {
    let de = toml::Deserializer::from(table);
    serde_path_to_error::deserialize::<_, Config>(de).map_err(|err| {
        let mut path: Vec<PathSeg> = err
            .path()
            .iter()
            .filter_map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => Some(PathSeg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(PathSeg::Key(key.clone())),
                _ => None,
            })
            .collect();
        let inner = err.into_inner();
        let message = inner.message().to_owned();
        // Some deserialisers report an unknown key at its parent; always name the key itself.
        if let Some(name) = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            && path.last() != Some(&PathSeg::Key(name.to_owned()))
        {
            path.push(PathSeg::Key(name.to_owned()));
        }
        (path, message, inner.span())
    })
}

#[cfg(test)]
mod tests;
