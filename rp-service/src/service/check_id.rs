//! Stable identifiers of the RP's checks. A check's text is for people and
//! may be reworded; its `CheckId` is what a caller (an attack story that
//! expects one check to fail) names it by. The dotted id travels in the
//! gRPC `Check.id`. A leaf: it imports nothing of the crate.

macro_rules! check_ids {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// One distinct check the RP makes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId {
            $($(#[$doc])* $variant,)*
        }

        impl CheckId {
            /// Every check, in declaration order.
            pub const ALL: &'static [CheckId] = &[$(Self::$variant,)*];

            /// The stable dotted id, e.g. `id_token.signature`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)*
                }
            }
        }
    };
}

check_ids! {
    // Reading any answer (response.rs).
    /// The body and redirect location are within the RP's size limits.
    AnswerWithinLimits = "response.within_limits",
    /// A value the session would keep is within the RP's bound.
    ValueWithinBound = "response.value_within_bound",
    ContentTypeJson = "response.content_type_json",
    BodyJsonObject = "response.json_object",
    /// RFC 6749 §5.2.
    ErrorCodePresent = "response.error_code",

    // Metadata (RFC 8414, OIDC Discovery).
    MetadataIssuer = "metadata.issuer",
    AuthorizationEndpointHttps = "metadata.authorization_endpoint_https",
    TokenEndpointHttps = "metadata.token_endpoint_https",
    UserinfoEndpointHttps = "metadata.userinfo_endpoint_https",
    JwksUriHttps = "metadata.jwks_uri_https",
    RegistrationEndpointHttps = "metadata.registration_endpoint_https",
    IntrospectionEndpointHttps = "metadata.introspection_endpoint_https",
    RevocationEndpointHttps = "metadata.revocation_endpoint_https",
    ParEndpointHttps = "metadata.pushed_authorization_request_endpoint_https",
    DeviceEndpointHttps = "metadata.device_authorization_endpoint_https",
    /// Any other `*_endpoint` member.
    OtherEndpointHttps = "metadata.other_endpoint_https",
    MetadataRs256 = "metadata.rs256",
    MetadataSubjectTypes = "metadata.subject_types",

    // Key sets (RFC 7517).
    JwksKeysArray = "jwks.keys_array",
    JwksPublicOnly = "jwks.public_only",
    JwksKid = "jwks.kid",
    JwksParses = "jwks.parses",

    // Registration (OIDC Registration, RFC 7591).
    RegistrationClientKept = "registration.client_not_replaced",
    RegistrationStatus = "registration.status",
    /// RFC 7591 §3.2.1: 201 Created (stated without a MUST: a SHOULD here).
    RegistrationCreated = "registration.created",
    /// RFC 7591 §3.2.1: the server may replace metadata it would not
    /// register; one check per member registered otherwise than sent.
    RegistrationReplaced = "registration.replaced",
    RegistrationPublicKeysOnly = "registration.public_keys_only",
    RegistrationClientId = "registration.client_id",
    RegistrationClientSecret = "registration.client_secret",
    RegistrationSecretExpiry = "registration.client_secret_expires_at",
    RegistrationRedirectUris = "registration.redirect_uris",
    RegistrationRequestObjectAlg = "registration.request_object_alg",

    // Pushed authorization requests (RFC 9126).
    ParStatus = "par.status",
    ParRequestUri = "par.request_uri",
    ParExpiresIn = "par.expires_in",
    ParShortLived = "par.short_lived",

    // The device authorization grant (RFC 8628).
    DeviceStatus = "device.status",
    DeviceCodeIssued = "device.device_code",
    DeviceUserCode = "device.user_code",
    DeviceVerificationUri = "device.verification_uri",
    DeviceVerificationUriComplete = "device.verification_uri_complete",
    DeviceExpiresIn = "device.expires_in",
    DeviceInterval = "device.interval",
    /// RFC 8628 §3.2, §3.5: a poll fits in the device code's lifetime.
    DeviceIntervalWithinLifetime = "device.interval_within_lifetime",
    /// RFC 8628 §3.5: an interval this client waits, never polling sooner.
    DeviceIntervalWithinLimit = "device.interval_within_limit",
    DeviceUserCodeShown = "device.user_code_shown",
    DeviceUserApproved = "device.user_approved",
    DeviceUserPage = "device.user_page",
    /// RFC 8628 §3.5: authorization_pending or slow_down.
    DevicePollAgain = "device.poll_again",

    // The authorization response (RFC 6749 §4.1.2, RFC 9207).
    AuthorizationInFlight = "authorization.in_flight",
    RedirectLocation = "authorization.location",
    RedirectTarget = "authorization.redirect_uri",
    ResponseParamsParse = "authorization.params_parse",
    /// OAuth 2.0 Multiple Response Type Encoding Practices §5, OIDC Core
    /// §3.2.2.5, §3.3.2.5: an error where the response was due (fragment).
    AuthorizationErrorEncoding = "authorization.error_encoding",
    /// RFC 6749 §10.12, RFC 9700 §4.7.
    State = "authorization.state",
    /// RFC 9207 §2.4.
    AuthorizationIss = "authorization.iss",
    CodePresent = "authorization.code",
    SentAsRequestObject = "authorization.request_object",
    SentAsPushed = "authorization.pushed",
    /// The answer came in the response mode asked for (a redirect, a form
    /// post, a response JWT): no downgrade.
    AuthorizationResponseMode = "authorization.response_mode",
    /// RFC 6749 §3.1.2.4, §4.1.2.1: nothing sent to a redirect_uri the
    /// client never registered.
    AuthorizationNotToUnregistered = "authorization.not_to_unregistered",
    /// OIDC Core §6.1, OIDC Discovery §3: an unsigned request object
    /// refused only where the provider does not offer one.
    UnsignedRequestObjectRefused = "authorization.unsigned_request_object_refused",

    // The response as a form post (OAuth 2.0 Form Post Response Mode §2).
    FormPostPage = "form_post.page",
    FormPostForm = "form_post.form",
    FormPostMethod = "form_post.method",
    FormPostAction = "form_post.action",
    FormPostHiddenOnly = "form_post.hidden_only",

    // The response as a JWT (JARM §2.4).
    JarmResponse = "jarm.response",
    JarmJws = "jarm.jws",
    JarmAlg = "jarm.alg",
    JarmSignature = "jarm.signature",
    JarmIss = "jarm.iss",
    JarmAud = "jarm.aud",
    JarmExp = "jarm.exp",

    // The ID token (OIDC Core §3.1.3.7).
    IdTokenPresent = "id_token.present",
    IdTokenJws = "id_token.jws",
    IdTokenAlg = "id_token.alg",
    /// RFC 7515 §4.1.11.
    IdTokenCrit = "id_token.crit",
    IdTokenSignature = "id_token.signature",
    IdTokenIss = "id_token.iss",
    IdTokenAud = "id_token.aud",
    IdTokenAudTrusted = "id_token.aud_trusted",
    IdTokenAzp = "id_token.azp",
    IdTokenExp = "id_token.exp",
    IdTokenIat = "id_token.iat",
    IdTokenNbf = "id_token.nbf",
    IdTokenSub = "id_token.sub",
    IdTokenNonce = "id_token.nonce",
    IdTokenAtHash = "id_token.at_hash",
    IdTokenCHash = "id_token.c_hash",
    IdTokenAcr = "id_token.acr",
    /// OIDC Core §3.1.2.1: with max_age asked, the ID token states auth_time.
    IdTokenAuthTimeForMaxAge = "id_token.auth_time_for_max_age",
    /// OIDC Core §3.1.2.1: a new login where max_age or prompt=login asks for one.
    LoginRenewed = "login.renewed",
    /// OIDC Core §3.1.2.1: prompt=none answers for the user already logged in.
    LoginSameUser = "login.same_user",
    /// OIDC Core §3.1.2.1: the user the id_token_hint names.
    LoginHintedUser = "login.hinted_user",
    IdTokenRequestedClaims = "id_token.requested_claims",
    /// OIDC Core §12.2: a refreshed ID token repeats the original's claims.
    RefreshIss = "id_token.refresh.iss",
    RefreshSub = "id_token.refresh.sub",
    RefreshAud = "id_token.refresh.aud",
    RefreshAzp = "id_token.refresh.azp",
    RefreshAuthTime = "id_token.refresh.auth_time",
    RefreshIat = "id_token.refresh.iat",
    RefreshNonce = "id_token.refresh.nonce",

    // The token response (RFC 6749 §5.1).
    TokenStatus = "token.status",
    TokenNoStore = "token.no_store",
    TokenAccessTokenPresent = "token.access_token",
    /// `Bearer`, or `DPoP` for a request with a proof (RFC 9449 §5).
    TokenType = "token.token_type",
    TokenExpiresIn = "token.expires_in",
    RefreshTokenRotated = "token.refresh_rotated",
    /// OIDC Core §12.2: whether a refresh brought an ID token.
    RefreshIdToken = "token.refresh_id_token",
    PkceAccepted = "token.pkce_accepted",
    IssuedTokenType = "token.issued_token_type",
    ScopeWithinGrant = "token.scope_within_grant",
    GrantedScopeWellFormed = "token.granted_scope_well_formed",
    ScopeWithinRequest = "token.scope_within_request",
    ScopeAsRequested = "token.scope_as_requested",
    ScopeNamed = "token.scope_named",
    RequestedScopeWellFormed = "token.requested_scope_well_formed",

    // A JWT access token (RFC 9068) and its DPoP binding (RFC 9449 §6).
    AccessTokenFormat = "access_token.format",
    AccessTokenTyp = "access_token.typ",
    AccessTokenSignature = "access_token.signature",
    AccessTokenIss = "access_token.iss",
    AccessTokenExp = "access_token.exp",
    AccessTokenNbf = "access_token.nbf",
    AccessTokenClientId = "access_token.client_id",
    /// RFC 9396 §7.
    TokenAuthorizationDetails = "token.authorization_details",
    AuthorizationDetailsAsAsked = "token.authorization_details_as_asked",
    /// RFC 9396 §9.2.
    IntrospectionAuthorizationDetails = "introspection.authorization_details",
    /// RFC 8707 §2, RFC 9068 §3: restricted to the resources asked for.
    AccessTokenAudience = "access_token.aud",
    DpopBinding = "access_token.dpop_binding",

    // UserInfo (OIDC Core §5.3).
    UserinfoWithheld = "userinfo.withheld",
    UserinfoSub = "userinfo.sub",
    UserinfoRequestedClaims = "userinfo.requested_claims",
    /// OIDC Core §5.4: the claims a scope asks for, released.
    UserinfoScopeClaims = "userinfo.scope_claims",
    /// The claims that came, listed.
    UserinfoClaims = "userinfo.claims",
    /// OIDC Core §5.2: claims in the languages asked for.
    UserinfoClaimsLocales = "userinfo.claims_locales",

    // Introspection (RFC 7662) and revocation (RFC 7009).
    IntrospectionActive = "introspection.active",
    IntrospectionExpectedState = "introspection.expected_state",
    IntrospectionClientId = "introspection.client_id",
    IntrospectionExp = "introspection.exp",
    RevocationStatus = "revocation.status",

    // RP-Initiated Logout 1.0 §2, §3.
    EndSessionRedirect = "end_session.redirect",
    /// RFC 9700 §4.11.2: no redirect to a self-registered client's URI.
    EndSessionNoRedirect = "end_session.no_redirect",
    EndSessionRedirectUri = "end_session.redirect_uri",
    EndSessionState = "end_session.state",

    // Back-Channel Logout 1.0 §2.5, §2.6: the logout token.
    LogoutRequest = "logout.request",
    LogoutAlg = "logout.alg",
    LogoutSignature = "logout.signature",
    LogoutTyp = "logout.typ",
    LogoutIss = "logout.iss",
    LogoutAud = "logout.aud",
    LogoutIat = "logout.iat",
    LogoutExp = "logout.exp",
    LogoutJti = "logout.jti",
    LogoutJtiReplay = "logout.jti_replay",
    LogoutEvents = "logout.events",
    LogoutNonce = "logout.nonce",
    LogoutSubOrSid = "logout.sub_or_sid",
    LogoutSession = "logout.session",
}

impl CheckId {
    /// The check of that dotted id.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == id)
    }

    /// Whether this check, passed, says the provider's refusal was its
    /// lawful answer (it declined what its metadata does not offer): the
    /// step went as it should, refused.
    pub fn judges_refusal_lawful(self) -> bool {
        matches!(self, Self::UnsignedRequestObjectRefused)
    }

    /// The https check of a metadata member naming an endpoint.
    pub fn endpoint_https(member: &str) -> Self {
        match member {
            "authorization_endpoint" => Self::AuthorizationEndpointHttps,
            "token_endpoint" => Self::TokenEndpointHttps,
            "userinfo_endpoint" => Self::UserinfoEndpointHttps,
            "jwks_uri" => Self::JwksUriHttps,
            "registration_endpoint" => Self::RegistrationEndpointHttps,
            "introspection_endpoint" => Self::IntrospectionEndpointHttps,
            "revocation_endpoint" => Self::RevocationEndpointHttps,
            "pushed_authorization_request_endpoint" => Self::ParEndpointHttps,
            "device_authorization_endpoint" => Self::DeviceEndpointHttps,
            _ => Self::OtherEndpointHttps,
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_unique_dotted_and_parses_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &id in CheckId::ALL {
            let s = id.as_str();
            assert!(seen.insert(s), "{s} used twice");
            assert!(s.contains('.'), "{s} is dotted");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'),
                "{s}"
            );
            assert_eq!(CheckId::parse(s), Some(id));
        }
        assert_eq!(CheckId::parse("id_token.nope"), None);
    }

    /// Every id names a check some service makes: an attack story expecting
    /// a check by id expects one the RP can fail.
    #[test]
    fn every_id_is_made_by_some_check() {
        let sources = [
            include_str!("access_token.rs"),
            include_str!("authorization.rs"),
            include_str!("discovery.rs"),
            include_str!("form_post.rs"),
            include_str!("device.rs"),
            include_str!("id_token.rs"),
            include_str!("jarm.rs"),
            include_str!("introspection.rs"),
            include_str!("jwks.rs"),
            include_str!("par.rs"),
            include_str!("registration.rs"),
            include_str!("resource.rs"),
            include_str!("response.rs"),
            include_str!("revocation.rs"),
            include_str!("token.rs"),
            include_str!("userinfo.rs"),
            include_str!("details.rs"),
            include_str!("end_session.rs"),
            include_str!("backchannel.rs"),
            include_str!("authorization_refusal.rs"),
            include_str!("id_token_refresh.rs"),
            include_str!("login_checks.rs"),
        ];
        let own = include_str!("check_id.rs");
        let endpoint_https = own
            .split("pub fn endpoint_https")
            .nth(1)
            .and_then(|rest| rest.split("\n    }\n").next())
            .unwrap();
        for id in CheckId::ALL {
            let named = format!("CheckId::{id:?},");
            let via_endpoint = format!("Self::{id:?},");
            assert!(
                sources.iter().any(|s| s.contains(&named))
                    || (sources[2].contains("CheckId::endpoint_https(")
                        && endpoint_https.contains(&via_endpoint)),
                "no check is made as {id}"
            );
        }
    }
}
