//! The OpenAPI 3.1 document: every route, its parameters, its responses (errors included) and
//! the `bearer` security scheme.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::routes::{agents, diagnosis, entities, events, maintenance, system};

/// The errors every key-protected route can answer with.
#[derive(IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub(crate) enum ProtectedErrors {
    /// Malformed request (bad query or path parameter, unreadable cursor)
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No API key (`missing_api_key`), or an unknown, revoked, expired or malformed one
    /// (`invalid_api_key`)
    #[response(status = 401, headers(("WWW-Authenticate" = String, description = "`Bearer`, with `error=\"invalid_token\"` for a bad key")))]
    Unauthorized(ErrorBody),
    /// The key lacks the scope this route needs (`insufficient_scope`)
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The key's rate limit is exhausted (`rate_limited`)
    #[response(status = 429, headers(("Retry-After" = u64, description = "Seconds to wait before retrying")))]
    TooManyRequests(ErrorBody),
    /// Internal error (`internal`)
    #[response(status = 500)]
    Internal(ErrorBody),
    /// The request timed out or a dependency is unavailable (`timeout`, `unavailable`)
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The resource named in the path does not exist.
#[derive(IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub(crate) enum NotFound {
    /// No such resource (`not_found`)
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// The errors of routes that read a JSON body, beyond [`ProtectedErrors`].
#[derive(IntoResponses)]
#[allow(dead_code)] // only its OpenAPI description is used
pub(crate) enum BodyErrors {
    /// The body is larger than the configured limit (`payload_too_large`)
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
    /// The body is not sent as `Content-Type: application/json` (`unsupported_media_type`)
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigia aggregator API",
        description = "Live state of the network (entities, topology, observations) and of the \
            agents; outage events; maintenance windows; subscriber diagnosis and search.\n\nAuthenticate with an API key: `Authorization: Bearer vgk_...` (create one \
            with `vigia-aggregator apikey create`). Every error has the body \
            `{\"error\": {\"code\": ..., \"message\": ...}}`. Entity ids contain `/`: \
            percent-encode it as `%2F` in paths. Reading needs a key with the `read` scope; \
            changing maintenance windows one with `operate`."
    ),
    paths(
        agents::list,
        agents::get,
        entities::list,
        entities::get,
        entities::observations,
        entities::history,
        events::list,
        events::get,
        maintenance::list,
        maintenance::get,
        maintenance::create,
        maintenance::update,
        maintenance::delete,
        diagnosis::diagnose,
        diagnosis::search,
        system::health,
        system::metrics,
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode)),
    modifiers(&BearerScheme),
    tags(
        (name = "agents", description = "The agents and their health"),
        (name = "entities", description = "Network entities, their state and observations"),
        (name = "events", description = "Outage events: one per outage, with its root cause, size and timeline"),
        (name = "maintenance", description = "Maintenance windows: events under them are recorded but not notified"),
        (name = "diagnosis", description = "The support desk's view: one subscriber's diagnosis and verdict, subscriber search"),
        (name = "operations", description = "Health and metrics, without an API key"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("vgk_<id>_<secret>".to_owned());
        http.description = Some("An API key: `vgk_<id>_<43 base64url chars>`".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The API's OpenAPI document (what `GET /v1/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
