//! The HTTPS connector's settings from Ktor's `ktor.security.ssl.*` keys
//! ([`Config::tls_settings`]).
use super::{keys, Config};
use crate::{
    error::ConfigError,
    server::tls::{ClientAuth, TlsError, TlsProtocol, TlsSettings},
};

impl Config {
    /// The HTTPS connector's settings when `ktor.deployment.sslPort` is set, else `None`.
    ///
    /// Without `keyStore` it is Ktor's error (`SSL requires keystore: use -sslKeyStore=path or
    /// ktor.security.ssl.keyStore config`); an unknown `enabledProtocols` or `clientAuth` value
    /// names the key, the file and the allowed values. Passwords are trimmed, as in Ktor. The
    /// stores themselves are read by [`Tls::load`](crate::server::tls::Tls::load).
    pub fn tls_settings(&self) -> Result<Option<TlsSettings>, ConfigError> {
        if self.port(keys::SSL_PORT)?.is_none() {
            return Ok(None);
        }
        let trimmed = |key: &str| -> Result<Option<String>, ConfigError> {
            Ok(self
                .string(key)?
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()))
        };
        let Some(key_store) = trimmed(keys::SSL_KEY_STORE)? else {
            return Err(self.error(
                keys::SSL_KEY_STORE,
                "SSL requires keystore: use -sslKeyStore=path or ktor.security.ssl.keyStore config",
            ));
        };
        let mut settings = TlsSettings::new(key_store);
        if let Some(alias) = trimmed(keys::SSL_KEY_ALIAS)? {
            settings = settings.key_alias(alias);
        }
        if let Some(password) = trimmed(keys::SSL_KEY_STORE_PASSWORD)? {
            settings = settings.key_store_password(password);
        }
        if let Some(password) = trimmed(keys::SSL_PRIVATE_KEY_PASSWORD)? {
            settings = settings.private_key_password(password);
        }
        if let Some(trust_store) = trimmed(keys::SSL_TRUST_STORE)? {
            settings = settings.trust_store(trust_store);
        }
        if let Some(password) = trimmed(keys::SSL_TRUST_STORE_PASSWORD)? {
            settings = settings.trust_store_password(password);
        }
        if let Some(names) = self.string_list(keys::SSL_ENABLED_PROTOCOLS)? {
            let protocols = names
                .iter()
                .map(|name| name.parse::<TlsProtocol>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.tls_error(e))?;
            settings = settings.enabled_protocols(protocols);
        }
        if let Some(mode) = self.string(keys::SSL_CLIENT_AUTH)? {
            let mode = mode.parse::<ClientAuth>().map_err(|e| self.tls_error(e))?;
            settings = settings.client_auth(mode);
        }
        settings = settings.watch_interval(self.duration(keys::SSL_WATCH_INTERVAL)?);
        Ok(Some(settings))
    }

    /// `e` as a config error pointing at where its key was set (file and line, or the
    /// command-line argument).
    pub fn tls_error(&self, e: TlsError) -> ConfigError {
        self.error(e.key(), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hocon(text: &str) -> Config {
        Config::from_hocon_str("app.conf", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn no_ssl_port_means_no_tls() {
        let c = hocon("ktor.security.ssl.keyStore = k.p12");
        assert_eq!(c.tls_settings(), Ok(None));
    }

    #[test]
    fn ssl_port_without_key_store_is_ktors_error() {
        let c = hocon("ktor.deployment.sslPort = 8443");
        let err = c.tls_settings().unwrap_err();
        assert_eq!(err.key, keys::SSL_KEY_STORE);
        assert!(err.message.starts_with("SSL requires keystore"), "{err}");
    }

    #[test]
    fn keys_fill_the_settings_trimmed() {
        let c = hocon(
            r#"ktor.deployment.sslPort = 8443
            ktor.security.ssl {
                keyStore = " certs/server.p12 "
                keyAlias = srv
                keyStorePassword = " pw "
                privateKeyPassword = pw
                trustStore = certs/ca.pem
                enabledProtocols = ["TLSv1.3"]
                clientAuth = optional
                watchInterval = 2s
            }"#,
        );
        let expected = TlsSettings::new("certs/server.p12")
            .key_alias("srv")
            .key_store_password("pw")
            .private_key_password("pw")
            .trust_store("certs/ca.pem")
            .enabled_protocols([TlsProtocol::Tls13])
            .client_auth(ClientAuth::Optional)
            .watch_interval(Some(std::time::Duration::from_secs(2)));
        assert_eq!(c.tls_settings(), Ok(Some(expected)));
    }

    #[test]
    fn unknown_protocol_names_the_key_the_file_the_line_and_the_allowed_values() {
        let c = hocon(
            "ktor.deployment.sslPort = 8443\nktor.security.ssl.keyStore = k.p12\n\
             ktor.security.ssl.enabledProtocols = [\"TLSv1.3\", \"TLSv1\"]",
        );
        let err = c.tls_settings().unwrap_err().to_string();
        assert!(
            err.starts_with("app.conf:3: ktor.security.ssl.enabledProtocols: \"TLSv1\""),
            "{err}"
        );
        assert!(err.contains(TlsProtocol::ALLOWED), "{err}");
    }

    #[test]
    fn unknown_client_auth_names_the_key() {
        let c = hocon(
            "ktor.deployment.sslPort = 8443\nktor.security.ssl { keyStore = k.p12, clientAuth = want }",
        );
        let err = c.tls_settings().unwrap_err();
        assert_eq!(err.key, keys::SSL_CLIENT_AUTH);
    }
}
