//! TLS for `wss://`: the platform's root certificates (webpki roots when the platform has none),
//! optionally plus extra certificates the application trusts (a private CA, or the simulator's
//! self-signed certificate), and a TLS connect whose certificate failures are typed.

use std::sync::{Arc, Mutex, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::TransportError;

/// How many distinct extra-trust configurations are kept built (one per distinct PEM; a
/// manager usually has one or two).
const CONFIG_CACHE_LEN: usize = 8;

/// Parses every `CERTIFICATE` block of `pem`. At least one is required.
pub(crate) fn parse_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate list: {e}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block in the PEM text".into());
    }
    Ok(certs)
}

/// The platform roots, loaded once per process.
fn platform_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            // Individual unparsable platform certificates are skipped, as browsers do.
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots
    })
}

fn build_config(extra_pem: Option<&str>) -> Result<rustls::ClientConfig, TransportError> {
    let mut roots = platform_roots().clone();
    if let Some(pem) = extra_pem {
        for cert in parse_certificates(pem).map_err(TransportError::Tls)? {
            roots
                .add(cert)
                .map_err(|e| TransportError::Tls(format!("extra trusted certificate: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The rustls client configuration trusting the platform roots plus the certificates of
/// `extra_pem`; built once per distinct PEM and shared by every session using it.
pub(crate) fn client_config(
    extra_pem: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, TransportError> {
    type Cache = Mutex<Vec<(Option<String>, Arc<rustls::ClientConfig>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let key = extra_pem.map(str::to_owned);
    if let Ok(cached) = cache.lock()
        && let Some((_, config)) = cached.iter().find(|(k, _)| *k == key)
    {
        return Ok(config.clone());
    }
    let config = Arc::new(build_config(extra_pem)?);
    if let Ok(mut cached) = cache.lock() {
        if cached.len() >= CONFIG_CACHE_LEN {
            cached.remove(0);
        }
        cached.push((key, config.clone()));
    }
    Ok(config)
}

/// Runs the TLS handshake on `tcp` for `host`. A certificate the configured roots do not
/// accept is [`TransportError::UntrustedCertificate`].
pub(crate) async fn connect_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<TlsStream<TcpStream>, TransportError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| TransportError::InvalidUrl(format!("{host:?} is not a TLS server name")))?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(classify)
}

/// Turns a failed handshake's I/O error into the typed transport error.
fn classify(err: std::io::Error) -> TransportError {
    let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return TransportError::Io(err);
    };
    match tls {
        rustls::Error::InvalidCertificate(why) => {
            TransportError::UntrustedCertificate(format!("{why:?}"))
        }
        other => TransportError::Tls(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed() -> String {
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .unwrap()
            .cert
            .pem()
    }

    #[test]
    fn platform_roots_are_present_and_configs_are_shared() {
        assert!(!platform_roots().is_empty());
        let plain = client_config(None).unwrap();
        assert!(Arc::ptr_eq(&plain, &client_config(None).unwrap()));
        let pem = self_signed();
        let extra = client_config(Some(&pem)).unwrap();
        assert!(Arc::ptr_eq(&extra, &client_config(Some(&pem)).unwrap()));
        assert!(!Arc::ptr_eq(&plain, &extra));
    }

    #[test]
    fn pem_parsing() {
        let one = self_signed();
        assert_eq!(parse_certificates(&one).unwrap().len(), 1);
        let two = format!("{one}{}", self_signed());
        assert_eq!(parse_certificates(&two).unwrap().len(), 2);
        assert!(parse_certificates("").is_err());
        assert!(parse_certificates("hello").is_err());
        assert!(matches!(
            client_config(Some(
                "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"
            )),
            Err(TransportError::Tls(_))
        ));
    }
}
