//! What a run talks to: the embedded services, the services at `--as` and
//! `--rp`, or a server over HTTP (`--issuer`) with the embedded RP (or the
//! one at `--rp`) configured for it.
use super::args::RunArgs;
use super::error::Error;
use crate::carrier::Carrier;
use crate::embedded::{EmbeddedRp, InProcess};
use crate::external::{ClientSettings, Issuer};
use crate::login::DEFAULT_REDIRECT_URI;
use crate::runner::Services;
use crate::services::{HttpLink, Login};

/// What runs in this process for the run.
enum Running {
    Both(InProcess),
    Rp(EmbeddedRp),
    Nothing,
}

/// A server over HTTP, as discovered, and the client the stories use there.
pub(super) struct External {
    pub issuer: Issuer,
    pub client: ClientSettings,
}

pub(super) struct Target {
    pub services: Services,
    pub external: Option<External>,
    running: Running,
}

impl Target {
    /// Stops whatever the run started.
    pub async fn stop(self) {
        match self.running {
            Running::Both(e) => e.stop().await,
            Running::Rp(rp) => rp.stop().await,
            Running::Nothing => {}
        }
    }
}

fn services_error(e: impl std::fmt::Display) -> Error {
    Error::Services(e.to_string())
}

/// The client settings of `--client FILE` and the flags.
fn client_settings(args: &RunArgs) -> Result<ClientSettings, Error> {
    let from_file = match &args.client.file {
        Some(path) => ClientSettings::from_file(path).map_err(Error::Usage)?,
        None => ClientSettings::default(),
    };
    let mut settings = from_file.overridden_by(ClientSettings {
        client_id: args.client.client_id.clone(),
        client_secret: args.client.client_secret.clone(),
        redirect_uri: args.client.redirect_uri.clone(),
        scope: args.client.scope.clone(),
        auth_method: args.client.auth_method.clone(),
        username: None,
        password: None,
        pkce: args.client.pkce.clone(),
        post_logout_redirect_uri: args.client.post_logout_redirect_uri.clone(),
        backchannel_logout_uri: args.client.backchannel_logout_uri.clone(),
        resources: args.client.resources.clone(),
    });
    if settings.client_id.is_none() {
        // Without a client of the user's, the built-in profiles run as
        // they are (they fit the project's own AS).
        settings.client_secret = None;
    }
    if args.browser && settings.client_id.is_some() && settings.redirect_uri.is_none() {
        settings.redirect_uri = Some(DEFAULT_REDIRECT_URI.to_owned());
    }
    Ok(settings)
}

/// Connects (or starts) what the arguments name.
pub(super) async fn connect(args: &RunArgs) -> Result<Target, Error> {
    if let Some(issuer_url) = &args.issuer {
        let client = client_settings(args)?;
        let carrier = Carrier::new(args.ca.as_deref()).map_err(services_error)?;
        let issuer = crate::external::discover(&carrier, issuer_url)
            .await
            .map_err(|e| Error::Services(format!("--issuer {issuer_url}: {e}")))?;
        let fields = args
            .login
            .iter()
            .map(|f| crate::form_login::parse_field(f))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Usage)?;
        let login = match (args.browser, fields.is_empty()) {
            (true, _) => Login::Browser,
            (false, false) => Login::Form(fields),
            (false, true) => Login::None,
        };
        let backchannel = match &client.backchannel_logout_uri {
            Some(uri) => Some(
                crate::backchannel::Inbox::listen(uri)
                    .await
                    .map_err(Error::Usage)?,
            ),
            None => None,
        };
        let link = HttpLink {
            carrier,
            login,
            metadata_from_openid: issuer.openid_configuration && !issuer.oauth_metadata,
            user_client: client.client_id.is_some().then(|| client.clone()),
            backchannel,
            redirect_uri: client.redirect_uri.clone(),
            userinfo_endpoint: issuer
                .metadata
                .get("userinfo_endpoint")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        };
        let (services, running) = match &args.rp {
            Some(rp) => (
                Services::over_http(link, rp)
                    .await
                    .map_err(services_error)?,
                Running::Nothing,
            ),
            None => {
                let config = issuer.rp_config(&client).map_err(Error::Usage)?;
                let rp = EmbeddedRp::start(config)
                    .await
                    .map_err(|e| Error::Services(format!("cannot start the embedded RP: {e}")))?;
                let services = Services::over_http(link, &rp.rp_addr.to_string())
                    .await
                    .map_err(services_error)?;
                (services, Running::Rp(rp))
            }
        };
        let documents = match (issuer.openid_configuration, issuer.oauth_metadata) {
            (true, true) => "OpenID configuration and RFC 8414 metadata",
            (true, false) => "OpenID configuration",
            _ => "RFC 8414 metadata",
        };
        eprintln!(
            "orchestrator: against {} over HTTP ({documents} discovered); client: {}",
            issuer.issuer,
            client.describe()
        );
        match issuer.pkce_for(&client).map_err(Error::Usage)? {
            Some(true) if client.pkce.is_none() => eprintln!(
                "orchestrator: every code flow sends PKCE (S256), which the server lists (RFC 9700 §2.1.1); --pkce never for the plain flow"
            ),
            Some(true) => {
                eprintln!("orchestrator: every code flow sends PKCE (S256), --pkce always")
            }
            Some(false) => eprintln!("orchestrator: no code flow sends PKCE (--pkce never)"),
            None => {}
        }
        return Ok(Target {
            services,
            external: Some(External { issuer, client }),
            running,
        });
    }
    match (&args.as_address, &args.rp) {
        (Some(as_address), Some(rp)) => Ok(Target {
            services: Services::connect(as_address, rp)
                .await
                .map_err(services_error)?,
            external: None,
            running: Running::Nothing,
        }),
        (None, Some(_)) => Err(Error::Usage(
            "--rp needs --as (the AS at that address) or --issuer (a server over HTTP)".into(),
        )),
        _ => {
            let embedded = InProcess::start()
                .await
                .map_err(|e| Error::Services(format!("cannot start the embedded services: {e}")))?;
            let services = embedded.services().await.map_err(services_error)?;
            Ok(Target {
                services,
                external: None,
                running: Running::Both(embedded),
            })
        }
    }
}
