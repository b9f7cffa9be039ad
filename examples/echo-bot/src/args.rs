//! Command-line flags of the echo bot.

use std::path::PathBuf;

use openwa::{SessionOptions, WHATSAPP_TRUST_ROOT};

/// Usage text, printed by `--help` and after a bad flag.
pub const USAGE: &str = "\
usage: echo-bot [--server URL] [--trust-root HEX] [--tls-cert PEM] [--db PATH|URL]
                [--key PATH] [--session ID] [--pair-code PHONE]

  --server URL       chat WebSocket URL (default: WhatsApp, wss://web.whatsapp.com/ws/chat)
  --trust-root HEX   Noise root public key, 64 hex digits (default: WhatsApp's)
  --tls-cert PEM     extra certificate to trust for wss:// (e.g. openwa-sim's tls_cert_path)
  --db PATH|URL      database of the bot: a SQLite file (default: echo-bot.db) or a
                     PostgreSQL URL, postgres://user:pass@host:port/db
  --key PATH         at-rest key file, created if missing (default: PATH.key next to the
                     SQLite file, echo-bot.key for PostgreSQL)
  --session ID       session id inside the database (default: echo-bot)
  --pair-code PHONE  link by pairing code for this phone number instead of a QR code";

/// Why the flags are not usable.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    /// `--help` was given.
    #[error("{USAGE}")]
    Help,
    /// A flag is unknown or lacks its value.
    #[error("{0}\n\n{USAGE}")]
    Usage(String),
    /// The certificate file could not be read.
    #[error("--tls-cert {path}: {source}")]
    Cert {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Where the bot keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Db {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else is a SQLite path.
    fn parse(value: String) -> Db {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Db::Postgres(value)
        } else {
            Db::Sqlite(PathBuf::from(value))
        }
    }
}

/// The parsed flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// Options of the session the bot creates.
    pub options: SessionOptions,
    /// The database.
    pub db: Db,
    /// The at-rest key file given with `--key`, if any (see [`Args::key_path`]).
    pub key: Option<PathBuf>,
    /// Session id.
    pub session: String,
    /// Phone number to link by code, if not by QR.
    pub pair_code: Option<String>,
}

impl Args {
    /// Parses the flags (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, ArgsError> {
        let mut parsed = Args {
            options: SessionOptions::default(),
            db: Db::Sqlite(PathBuf::from("echo-bot.db")),
            key: None,
            session: "echo-bot".into(),
            pair_code: None,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Err(ArgsError::Help);
            }
            let value = args
                .next()
                .ok_or_else(|| ArgsError::Usage(format!("{flag} needs a value")))?;
            match flag.as_str() {
                "--server" => parsed.options.server_url = value,
                "--trust-root" => {
                    let key = hex::decode(&value)
                        .ok()
                        .filter(|k| k.len() == WHATSAPP_TRUST_ROOT.len())
                        .ok_or_else(|| {
                            ArgsError::Usage("--trust-root needs 64 hex digits".into())
                        })?;
                    parsed.options.trust_root = key;
                }
                "--tls-cert" => {
                    let path = PathBuf::from(value);
                    let pem = std::fs::read_to_string(&path)
                        .map_err(|source| ArgsError::Cert { path, source })?;
                    parsed.options.tls_extra_roots_pem = Some(pem);
                }
                "--db" => parsed.db = Db::parse(value),
                "--key" => parsed.key = Some(PathBuf::from(value)),
                "--session" => parsed.session = value,
                "--pair-code" => parsed.pair_code = Some(value),
                other => return Err(ArgsError::Usage(format!("unknown flag {other}"))),
            }
        }
        Ok(parsed)
    }

    /// Where the at-rest key of the database is kept: `--key`, else next to the SQLite file
    /// (`PATH.key`), else `echo-bot.key` in the current directory.
    pub fn key_path(&self) -> PathBuf {
        if let Some(key) = &self.key {
            return key.clone();
        }
        match &self.db {
            Db::Sqlite(db) => {
                let mut path = db.clone().into_os_string();
                path.push(".key");
                PathBuf::from(path)
            }
            Db::Postgres(_) => PathBuf::from("echo-bot.key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, ArgsError> {
        Args::parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_point_at_whatsapp() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.options, SessionOptions::default());
        assert_eq!(args.db, Db::Sqlite(PathBuf::from("echo-bot.db")));
        assert_eq!(args.key_path(), PathBuf::from("echo-bot.db.key"));
        assert_eq!(args.session, "echo-bot");
        assert_eq!(args.pair_code, None);
    }

    #[test]
    fn flags_are_applied() {
        let root = "ab".repeat(32);
        let args = parse(&[
            "--server",
            "ws://127.0.0.1:8080/ws/chat",
            "--trust-root",
            &root,
            "--db",
            "/tmp/bot.db",
            "--session",
            "bot1",
            "--pair-code",
            "15550000001",
        ])
        .unwrap();
        assert_eq!(args.options.server_url, "ws://127.0.0.1:8080/ws/chat");
        assert_eq!(args.options.trust_root, vec![0xab; 32]);
        assert_eq!(args.db, Db::Sqlite(PathBuf::from("/tmp/bot.db")));
        assert_eq!(args.key_path(), PathBuf::from("/tmp/bot.db.key"));
        assert_eq!(args.session, "bot1");
        assert_eq!(args.pair_code.as_deref(), Some("15550000001"));
    }

    #[test]
    fn a_postgres_url_is_postgres() {
        for url in ["postgres://u@127.0.0.1:5432/bot", "postgresql://u:p@db/bot"] {
            let args = parse(&["--db", url]).unwrap();
            assert_eq!(args.db, Db::Postgres(url.to_owned()));
            assert_eq!(args.key_path(), PathBuf::from("echo-bot.key"));
        }
        let args = parse(&["--db", "postgres://db/bot", "--key", "/keys/bot.key"]).unwrap();
        assert_eq!(args.key_path(), PathBuf::from("/keys/bot.key"));
        let args = parse(&["--db", "/tmp/bot.db", "--key", "/keys/bot.key"]).unwrap();
        assert_eq!(args.key_path(), PathBuf::from("/keys/bot.key"));
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        assert!(matches!(parse(&["--help"]), Err(ArgsError::Help)));
        assert!(matches!(parse(&["--server"]), Err(ArgsError::Usage(_))));
        assert!(matches!(parse(&["--bogus", "x"]), Err(ArgsError::Usage(_))));
        assert!(matches!(
            parse(&["--trust-root", "abcd"]),
            Err(ArgsError::Usage(_))
        ));
        assert!(matches!(
            parse(&["--tls-cert", "/nonexistent/cert.pem"]),
            Err(ArgsError::Cert { .. })
        ));
    }
}
