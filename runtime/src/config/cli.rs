//! Ktor's `EngineMain` command line: `-config=FILE` (repeatable), `-host=`, `-port=`,
//! `-sslPort=`, `-sslKeyStore=`, `-path=` and `-P:some.key=value`.
use std::path::PathBuf;

use super::{keys, Config, Origin, Value};
use crate::error::ConfigError;

/// The options, one per line, for the error on an unknown one.
pub(crate) const KNOWN_OPTIONS: &str = "-config=FILE, -host=HOST, -port=N, -sslPort=N, \
                                        -sslKeyStore=FILE, -path=ROOT, -P:some.key=value";

/// A parsed command line.
#[derive(Debug, Default)]
pub(crate) struct CommandLine {
    /// `-config=` files, in order (later ones override earlier ones).
    pub(crate) config_files: Vec<PathBuf>,
    /// `-host=`, `-port=`, `-sslPort=`, `-sslKeyStore=`, `-path=`: above the files.
    pub(crate) deployment: Config,
    /// `-P:key=value`: above everything.
    pub(crate) properties: Config,
}

/// Parses the arguments after the program name.
pub(crate) fn parse<I, A>(args: I) -> Result<CommandLine, ConfigError>
where
    I: IntoIterator<Item = A>,
    A: Into<String>,
{
    let mut cli = CommandLine::default();
    for arg in args {
        let arg: String = arg.into();
        let Some(option) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(ConfigError::new(
                "",
                format!("unexpected argument `{arg}`; options are {KNOWN_OPTIONS}"),
            ));
        };
        let origin = Origin::CommandLine(arg.clone());
        if let Some(property) = option.strip_prefix("P:") {
            let Some((key, value)) = property.split_once('=') else {
                return Err(ConfigError::new(
                    "",
                    format!("`{arg}` has no value: write -P:some.key=value"),
                ));
            };
            let key = key.trim();
            if key.is_empty() || key.split('.').any(str::is_empty) {
                return Err(ConfigError::new(
                    "",
                    format!("`{arg}` has no valid key: write -P:some.key=value"),
                ));
            }
            cli.properties
                .set_with_origin(key, Value::String(value.to_owned()), origin);
            continue;
        }
        let (name, value) = option.split_once('=').unwrap_or((option, ""));
        let key = match name {
            "config" => {
                if value.is_empty() {
                    return Err(ConfigError::new(
                        "",
                        "`-config=` needs a file: -config=FILE",
                    ));
                }
                cli.config_files.push(PathBuf::from(value));
                continue;
            }
            "host" => keys::HOST,
            "port" => keys::PORT,
            "sslPort" => keys::SSL_PORT,
            "sslKeyStore" => keys::SSL_KEY_STORE,
            "path" => keys::ROOT_PATH,
            _ => {
                return Err(ConfigError::new(
                    "",
                    format!("unknown option `{arg}`; options are {KNOWN_OPTIONS}"),
                ))
            }
        };
        if !option.contains('=') {
            return Err(ConfigError::new(
                key,
                format!("`{arg}` has no value: write -{name}=value"),
            ));
        }
        cli.deployment
            .set_with_origin(key, Value::String(value.to_owned()), origin);
    }
    Ok(cli)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_files_keep_their_order() {
        let cli = parse(["-config=a.conf", "-config=b.toml"]).unwrap_or_default();
        assert_eq!(
            cli.config_files,
            vec![PathBuf::from("a.conf"), PathBuf::from("b.toml")]
        );
    }

    #[test]
    fn deployment_options_set_ktor_keys() {
        let cli = parse([
            "-host=::1",
            "-port=1",
            "-sslPort=2",
            "-sslKeyStore=k.p12",
            "-path=/api",
        ])
        .unwrap_or_default();
        let d = &cli.deployment;
        assert_eq!(d.string(keys::HOST).ok().flatten().as_deref(), Some("::1"));
        assert_eq!(d.port(keys::PORT).ok(), Some(Some(1)));
        assert_eq!(d.port(keys::SSL_PORT).ok(), Some(Some(2)));
        assert_eq!(
            d.string(keys::SSL_KEY_STORE).ok().flatten().as_deref(),
            Some("k.p12")
        );
        assert_eq!(
            d.string(keys::ROOT_PATH).ok().flatten().as_deref(),
            Some("/api")
        );
    }

    #[test]
    fn properties_keep_everything_after_the_first_equals() {
        let cli = parse(["-P:app.query=a=b"]).unwrap_or_default();
        assert_eq!(
            cli.properties.string("app.query").ok().flatten().as_deref(),
            Some("a=b")
        );
    }

    #[test]
    fn unknown_option_lists_the_known_ones() {
        let err = parse(["-prot=8080"]).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("unknown option `-prot=8080`; options are {KNOWN_OPTIONS}")
        );
    }

    #[test]
    fn bare_words_and_empty_values_are_errors() {
        assert!(parse(["serve"]).is_err());
        assert!(parse(["-port"]).is_err());
        assert!(parse(["-config="]).is_err());
        assert!(parse(["-P:=1"]).is_err());
        assert!(parse(["-P:a..b=1"]).is_err());
        assert!(parse(["-P:a"]).is_err());
    }
}
