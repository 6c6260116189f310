//! What a run talks to: the embedded services, the services at `--as` and
//! `--rp`, or a server over HTTP (`--issuer`) with the embedded RP (or the
//! one at `--rp`) configured for it.
use super::args::RunArgs;
use super::error::Error;
use crate::carrier::Carrier;
use crate::catalog::Story;
use crate::embedded::{EmbeddedRp, InProcess};
use crate::external::{ClientSettings, Issuer, SecondClient};
use crate::login::DEFAULT_REDIRECT_URI;
use crate::runner::Services;
use crate::services::{HttpLink, Login};

/// What runs in this process for the run.
enum Running {
    Both(InProcess),
    Rp(EmbeddedRp),
    Nothing,
}

/// A server over HTTP, as discovered, and the clients the stories use there.
pub(super) struct External {
    pub issuer: Issuer,
    pub client: ClientSettings,
    /// The attacks' second client (`client_2`).
    pub second: SecondClient,
    /// For the requests the run makes itself (registering and deleting
    /// clients).
    pub carrier: Carrier,
}

impl External {
    /// What the transcript header says it ran against (secrets redacted).
    pub fn describe(&self) -> String {
        format!(
            "{} over HTTP; {}",
            self.issuer.issuer,
            self.describe_clients()
        )
    }

    /// `client: …`, and `; second client: …` when it is not the built-in one.
    fn describe_clients(&self) -> String {
        match self.second.describe() {
            Some(second) => format!(
                "client: {}; second client: {second}",
                self.client.describe()
            ),
            None => format!("client: {}", self.client.describe()),
        }
    }
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
        Some(path) => ClientSettings::from_file(path, "--client").map_err(Error::Usage)?,
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

/// `--client2 FILE`: a second client of the user's, its scope the first's
/// unless it names one.
fn second_settings(
    args: &RunArgs,
    first: &ClientSettings,
) -> Result<Option<ClientSettings>, Error> {
    let Some(path) = &args.client.client2 else {
        return Ok(None);
    };
    if first.client_id.is_none() {
        return Err(Error::Usage(
            "--client2 is a second client beside the first: add --client FILE or --client-id"
                .into(),
        ));
    }
    let mut second = ClientSettings::from_file(path, "--client2").map_err(Error::Usage)?;
    if second.client_id.is_none() {
        return Err(Error::Usage(format!(
            "--client2 {}: no client_id",
            path.display()
        )));
    }
    second.scope = second.scope.or_else(|| first.scope.clone());
    Ok(Some(second))
}

/// The second client of the attacks played by another client: the
/// built-in one with the built-in profiles; the user's `--client2`; else,
/// when a story to run needs one, a client registered for the run where
/// the server offers dynamic registration (RFC 7591).
async fn second_client(
    args: &RunArgs,
    stories: &[&'static Story],
    carrier: &Carrier,
    issuer: &Issuer,
    client: &ClientSettings,
) -> Result<SecondClient, Error> {
    if client.client_id.is_none() {
        return Ok(SecondClient::BuiltIn);
    }
    if let Some(given) = second_settings(args, client)? {
        return Ok(SecondClient::Given(given));
    }
    // Only for a story the server can otherwise run (`BuiltIn` lacks
    // nothing, so the second client is the one thing not asked about).
    let wanted = stories.iter().any(|s| {
        crate::external::plays_second_client(s)
            && issuer
                .cannot_run(s, client, &SecondClient::BuiltIn)
                .is_none()
    });
    if !wanted {
        return Ok(SecondClient::Lacking(
            "a second client: --client2 FILE".into(),
        ));
    }
    if args.rp.is_some() {
        return Ok(SecondClient::Lacking(
            "a second client, which an RP at --rp cannot be given from here".into(),
        ));
    }
    if issuer.metadata.get("registration_endpoint").is_none() {
        return Ok(SecondClient::Lacking(
            "a second client: --client2 FILE (the provider offers no dynamic registration to register one)"
                .into(),
        ));
    }
    match crate::external::register_second(carrier, issuer, client).await {
        Ok((settings, registered)) => {
            eprintln!(
                "orchestrator: registered a second client for the attacks played by another client (RFC 7591): client_id {}; it is deleted at the end of the run where the provider offers client management (RFC 7592)",
                crate::render::safe::terminal(&registered.client_id)
            );
            Ok(SecondClient::Registered(settings, registered))
        }
        Err(why) => {
            eprintln!(
                "orchestrator: registering a second client failed: {}",
                crate::render::safe::terminal(&why)
            );
            Ok(SecondClient::Lacking(format!(
                "a second client: --client2 FILE (registering one failed: {why})"
            )))
        }
    }
}

/// Connects (or starts) what the arguments name, for these stories.
pub(super) async fn connect(args: &RunArgs, stories: &[&'static Story]) -> Result<Target, Error> {
    if let Some(issuer_url) = &args.issuer {
        let client = client_settings(args)?;
        // A file that cannot be read is said before anything is sent.
        second_settings(args, &client)?;
        let carrier = Carrier::new(args.ca.as_deref()).map_err(services_error)?;
        let issuer = crate::external::discover(&carrier, issuer_url)
            .await
            .map_err(|e| Error::Services(format!("--issuer {issuer_url}: {e}")))?;
        let pkce = issuer.pkce_for(&client).map_err(Error::Usage)?;
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
            carrier: carrier.clone(),
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
            introspection: issuer.metadata.get("introspection_endpoint").is_some(),
        };
        let second = second_client(args, stories, &carrier, &issuer, &client).await?;
        let external = External {
            issuer,
            client,
            second,
            carrier,
        };
        let started = match &args.rp {
            Some(rp) => Services::over_http(link, rp)
                .await
                .map(|services| (services, Running::Nothing))
                .map_err(services_error),
            None => start_rp(&external, link).await,
        };
        let (services, running) = match started {
            Ok(started) => started,
            Err(e) => {
                // The client registered for the run does not stay behind.
                let _ = clean_up(&external, Vec::new()).await;
                return Err(e);
            }
        };
        let documents = match (
            external.issuer.openid_configuration,
            external.issuer.oauth_metadata,
        ) {
            (true, true) => "OpenID configuration and RFC 8414 metadata",
            (true, false) => "OpenID configuration",
            _ => "RFC 8414 metadata",
        };
        eprintln!(
            "orchestrator: against {} over HTTP ({documents} discovered); {}",
            external.issuer.issuer,
            crate::render::safe::terminal(&external.describe_clients())
        );
        match pkce {
            Some(true) if external.client.pkce.is_none() => eprintln!(
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
            external: Some(external),
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

/// The embedded RP, configured for the server and the run's clients.
async fn start_rp(external: &External, link: HttpLink) -> Result<(Services, Running), Error> {
    let config = external
        .issuer
        .rp_config(&external.client, external.second.settings())
        .map_err(Error::Usage)?;
    let rp = EmbeddedRp::start(config)
        .await
        .map_err(|e| Error::Services(format!("cannot start the embedded RP: {e}")))?;
    let services = Services::over_http(link, &rp.rp_addr.to_string())
        .await
        .map_err(services_error)?;
    Ok((services, Running::Rp(rp)))
}

/// Deletes the clients registered during the run at a server over HTTP
/// (RFC 7592): the run's own second client and `from_stories`; says on
/// stderr what was deleted and what was not, and returns the latter.
pub(super) async fn clean_up(
    external: &External,
    from_stories: Vec<crate::external::Registered>,
) -> Vec<crate::summary::LeftRegistered> {
    let all: Vec<_> = external
        .second
        .registered()
        .cloned()
        .into_iter()
        .chain(from_stories)
        .collect();
    if all.is_empty() {
        return Vec::new();
    }
    let (deleted, left) = crate::external::clean_up(&external.carrier, &external.issuer, all).await;
    if deleted > 0 {
        eprintln!(
            "orchestrator: deleted {} registered during the run (RFC 7592)",
            if deleted == 1 {
                "1 client".to_owned()
            } else {
                format!("{deleted} clients")
            }
        );
    }
    for l in &left {
        eprintln!(
            "orchestrator: client {} registered during the run is left registered, not deleted: {}",
            crate::render::safe::terminal(&l.client_id),
            crate::render::safe::terminal(&l.why)
        );
    }
    left
}
