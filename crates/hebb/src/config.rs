//! Config files: embedded presets, TOML parsing and `--set key=value`
//! overrides, all checked before a run starts.

use hebb_sim::SimConfig;
use std::path::Path;

/// The embedded default config: the authors' demo network, every key documented.
pub const AKIL_DEMO_TOML: &str = include_str!("../presets/akil-demo.toml");
/// The benchmark network of specs/performance.md §2.
pub const BENCHMARK_TOML: &str = include_str!("../presets/benchmark.toml");

/// A config problem: the message names the key and the allowed values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key or a wrong type.
    #[error("{0}")]
    Parse(String),
    /// A `--set` that is not `key=value` or names no key.
    #[error("--set {0}")]
    Set(String),
    /// A value out of range.
    #[error(transparent)]
    Invalid(#[from] hebb_core::ParamError),
}

/// Which embedded config to start from when no file is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The Akil et al. demo network (the default).
    Akil,
    /// The benchmark network (LIF, independent Poisson drive).
    Benchmark,
}

impl Preset {
    /// The preset's TOML text.
    pub fn toml(self) -> &'static str {
        match self {
            Preset::Akil => AKIL_DEMO_TOML,
            Preset::Benchmark => BENCHMARK_TOML,
        }
    }
}

/// Read `path` (or the preset), apply `sets`, deserialise and validate.
pub fn load(path: Option<&Path>, preset: Preset, sets: &[String]) -> Result<SimConfig, ConfigError> {
    let text = match path {
        Some(p) => {
            std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.display().to_string(), source })?
        }
        None => preset.toml().to_string(),
    };
    parse(&text, sets)
}

/// Parse TOML text, apply `sets`, deserialise and validate.
pub fn parse(text: &str, sets: &[String]) -> Result<SimConfig, ConfigError> {
    let mut value: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
    for s in sets {
        apply_set(&mut value, s)?;
    }
    // Re-serialise so that type and unknown-key errors point at the line of
    // the offending key.
    let text = toml::to_string(&value).map_err(|e| ConfigError::Parse(e.to_string()))?;
    let cfg: SimConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse(e.to_string()))?;
    cfg.validate()?;
    Ok(cfg)
}

/// The fully resolved config as TOML.
pub fn to_toml(cfg: &SimConfig) -> String {
    toml::to_string(cfg).expect("a SimConfig always serialises")
}

/// Apply one `key=value` override. Keys are dotted paths; array elements are
/// addressed as `external[0].c` or `external.0.c`. The value is read as a
/// TOML value (number, boolean, array, quoted string), else as a bare string.
/// Only existing keys (or optional keys of an existing table) can be set, so
/// a typo is an error.
pub fn apply_set(root: &mut toml::Table, set: &str) -> Result<(), ConfigError> {
    let (key, raw) = set.split_once('=').ok_or_else(|| ConfigError::Set(format!("`{set}`: expected key=value")))?;
    let key = key.trim();
    let raw = raw.trim();
    let value = parse_value(raw);
    let parts: Vec<String> =
        key.replace('[', ".").replace(']', "").split('.').filter(|s| !s.is_empty()).map(String::from).collect();
    if parts.is_empty() {
        return Err(ConfigError::Set(format!("`{set}`: empty key")));
    }
    let mut node = toml::Value::Table(std::mem::take(root));
    let result = set_path(&mut node, &parts, value, key);
    if let toml::Value::Table(t) = node {
        *root = t;
    }
    result
}

fn set_path(node: &mut toml::Value, parts: &[String], value: toml::Value, key: &str) -> Result<(), ConfigError> {
    let head = &parts[0];
    let last = parts.len() == 1;
    match node {
        toml::Value::Table(t) => {
            if last {
                t.insert(head.clone(), value);
                return Ok(());
            }
            match t.get_mut(head) {
                Some(child) => set_path(child, &parts[1..], value, key),
                None => {
                    let mut child = toml::Value::Table(toml::Table::new());
                    set_path(&mut child, &parts[1..], value, key)?;
                    t.insert(head.clone(), child);
                    Ok(())
                }
            }
        }
        toml::Value::Array(a) => {
            let i: usize =
                head.parse().map_err(|_| ConfigError::Set(format!("`{key}`: `{head}` is not an array index")))?;
            let len = a.len();
            let item = a.get_mut(i).ok_or_else(|| {
                ConfigError::Set(format!("`{key}`: index {i} out of range (the array has {len} entries)"))
            })?;
            if last {
                *item = value;
                Ok(())
            } else {
                set_path(item, &parts[1..], value, key)
            }
        }
        _ => Err(ConfigError::Set(format!("`{key}`: `{head}` is inside a value that is not a table or array"))),
    }
}

fn parse_value(raw: &str) -> toml::Value {
    let wrapped = format!("v = {raw}");
    match toml::from_str::<toml::Table>(&wrapped) {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_presets_equal_the_code_presets() {
        assert_eq!(parse(AKIL_DEMO_TOML, &[]).unwrap(), SimConfig::akil_demo());
        assert_eq!(parse(BENCHMARK_TOML, &[]).unwrap(), SimConfig::benchmark());
    }

    /// Every key of the resolved default appears in the documented template.
    #[test]
    fn every_key_is_in_the_documented_default() {
        fn keys(v: &toml::Value, out: &mut Vec<String>) {
            match v {
                toml::Value::Table(t) => {
                    for (k, v) in t {
                        out.push(k.clone());
                        keys(v, out);
                    }
                }
                toml::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
                _ => {}
            }
        }
        for (text, cfg) in [(AKIL_DEMO_TOML, SimConfig::akil_demo()), (BENCHMARK_TOML, SimConfig::benchmark())] {
            let mut all = Vec::new();
            keys(&toml::Value::try_from(&cfg).unwrap(), &mut all);
            for k in all {
                assert!(
                    text.lines().any(|l| l.trim_start().starts_with(&format!("{k} "))
                        || l.trim_start().starts_with(&format!("[{k}]"))
                        || l.trim_start().starts_with(&format!("[[{k}]]"))
                        || l.contains(&format!(".{k}]"))),
                    "key `{k}` not documented"
                );
            }
        }
    }

    #[test]
    fn sets_override_nested_keys() {
        let c = parse(
            AKIL_DEMO_TOML,
            &[
                "run.duration_ms=2000".into(),
                "external[0].c=0".into(),
                "network.connections.1.j=-100".into(),
                "record.cov_diagonal=include".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.run.duration_ms, 2000.0);
        assert_eq!(c.external[0].c, 0.0);
        assert_eq!(c.network.connections[1].j, -100.0);
        assert_eq!(c.record.cov_diagonal, hebb_sim::config::DiagonalConfig::Include);
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse(AKIL_DEMO_TOML, &["run.durashun_ms=5".into()]).unwrap_err().to_string();
        assert!(e.contains("durashun_ms") && e.contains("duration_ms"), "{e}");
        let e = parse(AKIL_DEMO_TOML, &["run.duration_ms=\"long\"".into()]).unwrap_err().to_string();
        assert!(e.contains("duration_ms"), "{e}");
        let e = parse(AKIL_DEMO_TOML, &["network.n=-5".into()]).unwrap_err().to_string();
        assert!(e.contains("n"), "{e}");
        let e = parse(AKIL_DEMO_TOML, &["network.connections[0].p=2".into()]).unwrap_err().to_string();
        assert!(e.contains("network.connections[0].p") && e.contains("[0, 1]"), "{e}");
        let e = parse(AKIL_DEMO_TOML, &["external[5].c=0".into()]).unwrap_err().to_string();
        assert!(e.contains("out of range"), "{e}");
        assert!(matches!(parse(AKIL_DEMO_TOML, &["nonsense".into()]), Err(ConfigError::Set(_))));
    }
}
