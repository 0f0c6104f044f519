//! JSON-RPC 2.0 and the MCP methods: versions of both eras (the `initialize` handshake
//! and the stateless 2026-07-28 revision with per-request `_meta`), errors, dispatch.

use serde_json::{json, Map, Value};

use super::policy::Policy;
use super::schema::Catalog;
use super::tools;
use crate::config::Env;

/// Versions reached through `initialize`, oldest first.
pub const HANDSHAKE_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// The stateless revision: no handshake, every request names its version in `_meta`.
pub const STATELESS_VERSION: &str = "2026-07-28";
/// Every version served, oldest first.
pub const SUPPORTED_VERSIONS: &[&str] = &[
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    STATELESS_VERSION,
];

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// JSON-RPC and MCP error codes.
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    /// MCP 2026-07-28: the request's protocol version is not served (`data.supported`).
    pub const UNSUPPORTED_VERSION: i64 = -32022;
}

const INSTRUCTIONS: &str = "defer schedules work for later: a task is a compact snapshot \
(summary, key points, artifacts, constraints, a prompt) that cron hands to a fresh run \
when it is due. Preview times with `when`, store tasks with `schedule` (pass a `key` so a \
retry never stores two), check them with `list`, `show` and `history`, hold or move them with \
`pause`, `resume` and `reschedule`, withdraw them with `cancel`; `doctor` says why tasks do not \
run. Task objects carry run_at_local and due_in: tell the user times in local time.";

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

/// The answer to a request.
pub fn response(id: Value, outcome: Result<Value, RpcError>) -> Value {
    match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()}),
    }
}

/// The answer to a line too long to read.
pub fn too_large() -> Value {
    let message = format!(
        "message longer than {} bytes, not read",
        super::transport::MAX_MESSAGE_BYTES
    );
    response(
        Value::Null,
        Err(RpcError::new(code::INVALID_REQUEST, message)),
    )
}

/// The protocol version a request is served in, and whether it came in `_meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub name: &'static str,
    pub stateless: bool,
}

impl Version {
    /// True when this version has the feature introduced in `since`.
    pub fn at_least(self, since: &str) -> bool {
        let index = |v: &str| SUPPORTED_VERSIONS.iter().position(|s| *s == v);
        index(self.name) >= index(since)
    }
}

/// One server's state: the version `initialize` settled on, if any.
pub struct Server {
    env: Env,
    policy: Policy,
    /// Every tool's properties (read off the CLI's definitions by the CLI).
    catalog: Catalog,
    negotiated: Option<&'static str>,
}

impl Server {
    pub fn new(env: Env, catalog: Catalog) -> Self {
        Server {
            env,
            policy: Policy::default(),
            catalog,
            negotiated: None,
        }
    }

    /// The server with what its callers may do (default: no `command`).
    pub fn with_policy(self, policy: Policy) -> Self {
        Server { policy, ..self }
    }

    /// Handles one message; `Some` is the reply to write, `None` for notifications and
    /// stray responses.
    pub fn handle(&mut self, line: &[u8]) -> Option<Value> {
        let message: Value = match serde_json::from_slice(line) {
            Ok(message) => message,
            Err(e) => {
                let error = RpcError::new(code::PARSE_ERROR, format!("parse error: {e}"));
                return Some(response(Value::Null, Err(error)));
            }
        };
        let invalid = |id: Value, message: &str| {
            Some(response(
                id,
                Err(RpcError::new(code::INVALID_REQUEST, message)),
            ))
        };
        let object = match message {
            Value::Object(object) => object,
            Value::Array(_) => {
                return invalid(
                    Value::Null,
                    "batches are not supported: send one message per line",
                )
            }
            _ => return invalid(Value::Null, "a message must be a JSON object"),
        };
        let id = match object.get("id") {
            None => None,
            Some(id @ Value::String(_)) => Some(id.clone()),
            Some(id @ Value::Number(n)) if n.is_i64() || n.is_u64() => Some(id.clone()),
            Some(_) => return invalid(Value::Null, "id must be a string or an integer"),
        };
        let method = object.get("method");
        if method.is_none() && (object.contains_key("result") || object.contains_key("error")) {
            return None; // a response: this server sends no requests, so nothing awaits it
        }
        if object.get("jsonrpc") != Some(&json!("2.0")) {
            return invalid(id.unwrap_or(Value::Null), "jsonrpc must be \"2.0\"");
        }
        let Some(Value::String(method)) = method else {
            return invalid(id.unwrap_or(Value::Null), "method must be a string");
        };
        let params = match object.get("params") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(params)) => params.clone(),
            Some(_) => {
                let error = RpcError::new(code::INVALID_PARAMS, "params must be an object");
                return id.map(|id| response(id, Err(error)));
            }
        };
        let Some(id) = id else {
            self.notification(method);
            return None;
        };
        Some(response(id, self.request(method, &params)))
    }

    fn notification(&mut self, _method: &str) {
        // `notifications/initialized`, `notifications/cancelled` (every request is
        // answered before the next is read) and any other: nothing to do, no reply.
    }

    fn version(&self, params: &Map<String, Value>) -> Result<Version, RpcError> {
        let meta = params.get("_meta").and_then(|meta| meta.get(META_VERSION));
        match meta {
            None => Ok(Version {
                name: self.negotiated.unwrap_or(latest_handshake()),
                stateless: false,
            }),
            Some(Value::String(requested)) => match find_version(SUPPORTED_VERSIONS, requested) {
                Some(name) => Ok(Version {
                    name,
                    stateless: true,
                }),
                None => Err(RpcError {
                    code: code::UNSUPPORTED_VERSION,
                    message: format!("unsupported protocol version '{requested}'"),
                    data: Some(json!({"supported": SUPPORTED_VERSIONS, "requested": requested})),
                }),
            },
            Some(_) => Err(RpcError::new(
                code::INVALID_PARAMS,
                format!("_meta.{META_VERSION} must be a string"),
            )),
        }
    }

    fn request(&mut self, method: &str, params: &Map<String, Value>) -> Result<Value, RpcError> {
        let version = self.version(params)?;
        let mut result = match method {
            "initialize" => self.initialize(params)?,
            "server/discover" => discover(),
            "ping" => json!({}),
            "tools/list" => tools_list(version, self.policy, &self.catalog),
            "tools/call" => tools_call(version, params, &self.env, self.policy, &self.catalog)?,
            _ => {
                return Err(RpcError::new(
                    code::METHOD_NOT_FOUND,
                    format!("method not found: {method}"),
                ))
            }
        };
        if version.stateless {
            result["resultType"] = json!("complete");
            let meta = result.as_object_mut().and_then(|r| {
                r.entry("_meta")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
            });
            if let Some(meta) = meta {
                meta.insert(META_SERVER_INFO.into(), server_info());
            }
        }
        Ok(result)
    }

    /// The handshake: the client's version when it is a handshake version, else ours.
    fn initialize(&mut self, params: &Map<String, Value>) -> Result<Value, RpcError> {
        let Some(Value::String(requested)) = params.get("protocolVersion") else {
            return Err(RpcError::new(
                code::INVALID_PARAMS,
                "initialize needs params.protocolVersion (a string)",
            ));
        };
        let version = find_version(HANDSHAKE_VERSIONS, requested).unwrap_or(latest_handshake());
        self.negotiated = Some(version);
        Ok(json!({
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": server_info(),
            "instructions": INSTRUCTIONS,
        }))
    }
}

fn latest_handshake() -> &'static str {
    HANDSHAKE_VERSIONS[HANDSHAKE_VERSIONS.len() - 1]
}

fn find_version(list: &[&'static str], requested: &str) -> Option<&'static str> {
    list.iter().copied().find(|v| *v == requested)
}

fn server_info() -> Value {
    json!({"name": "defer", "title": "defer", "version": env!("CARGO_PKG_VERSION")})
}

fn discover() -> Value {
    json!({
        "supportedVersions": SUPPORTED_VERSIONS,
        "capabilities": {"tools": {"listChanged": false}},
        "instructions": INSTRUCTIONS,
        "ttlMs": 0,
        "cacheScope": "private",
    })
}

fn tools_list(version: Version, policy: Policy, catalog: &Catalog) -> Value {
    let mut result = json!({"tools": tools::list(version, policy, catalog)});
    if version.stateless {
        result["ttlMs"] = json!(0);
        result["cacheScope"] = json!("public");
    }
    result
}

fn tools_call(
    version: Version,
    params: &Map<String, Value>,
    env: &Env,
    policy: Policy,
    catalog: &Catalog,
) -> Result<Value, RpcError> {
    let Some(Value::String(name)) = params.get("name") else {
        return Err(RpcError::new(
            code::INVALID_PARAMS,
            "tools/call needs params.name (a string)",
        ));
    };
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments.clone(),
        Some(_) => {
            return Err(RpcError::new(
                code::INVALID_PARAMS,
                "params.arguments must be an object",
            ))
        }
    };
    tools::call(name, arguments, env, version, policy, catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        Server::new(
            Env::from_pairs([("DEFER_TIMEZONE", "UTC")]),
            crate::cli::catalog(),
        )
    }

    fn ask(server: &mut Server, message: Value) -> Value {
        server
            .handle(message.to_string().as_bytes())
            .expect("a reply")
    }

    #[test]
    fn initialize_echoes_a_handshake_version_else_offers_the_latest() {
        for (asked, answered) in [
            ("2024-11-05", "2024-11-05"),
            ("2025-06-18", "2025-06-18"),
            ("2025-11-25", "2025-11-25"),
            ("2026-07-28", "2025-11-25"),
            ("1999-01-01", "2025-11-25"),
        ] {
            let reply = ask(
                &mut server(),
                json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": asked, "capabilities": {}}}),
            );
            assert_eq!(reply["result"]["protocolVersion"], answered, "{asked}");
            assert_eq!(reply["result"]["serverInfo"]["name"], "defer");
        }
    }

    #[test]
    fn stateless_requests_carry_result_type_and_unknown_versions_get_32022() {
        let meta = |v: &str| json!({"_meta": {META_VERSION: v, "io.modelcontextprotocol/clientCapabilities": {}}});
        let mut server = server();
        let reply = ask(
            &mut server,
            json!({"jsonrpc": "2.0", "id": "a", "method": "tools/list", "params": meta("2026-07-28")}),
        );
        assert_eq!(reply["id"], "a");
        assert_eq!(reply["result"]["resultType"], "complete");
        assert_eq!(reply["result"]["_meta"][META_SERVER_INFO]["name"], "defer");
        assert!(reply["result"]["tools"].as_array().unwrap().len() >= 5);
        let reply = ask(
            &mut server,
            json!({"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": meta("2099-01-01")}),
        );
        assert_eq!(reply["error"]["code"], code::UNSUPPORTED_VERSION);
        assert_eq!(
            reply["error"]["data"]["supported"],
            json!(SUPPORTED_VERSIONS)
        );
    }

    #[test]
    fn notifications_and_responses_get_no_reply_and_bad_messages_get_errors() {
        let mut server = server();
        for quiet in [
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "method": "no/such/notification"}),
            json!({"jsonrpc": "2.0", "id": 9, "result": {}}),
        ] {
            assert_eq!(server.handle(quiet.to_string().as_bytes()), None, "{quiet}");
        }
        let code_of = |reply: Option<Value>| reply.unwrap()["error"]["code"].as_i64().unwrap();
        assert_eq!(code_of(server.handle(b"{nope")), code::PARSE_ERROR);
        assert_eq!(code_of(server.handle(b"[]")), code::INVALID_REQUEST);
        assert_eq!(code_of(server.handle(b"7")), code::INVALID_REQUEST);
        assert_eq!(
            code_of(server.handle(br#"{"jsonrpc":"2.0","id":1,"method":"x/y"}"#)),
            code::METHOD_NOT_FOUND
        );
        assert_eq!(
            code_of(server.handle(br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#)),
            code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(server.handle(br#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#)),
            code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(server.handle(
                br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}"#
            )),
            code::INVALID_PARAMS
        );
        let pong = server.handle(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#);
        assert_eq!(pong.unwrap()["result"], json!({}));
    }

    #[test]
    fn versions_order() {
        let v = |name| Version {
            name,
            stateless: false,
        };
        assert!(v("2025-06-18").at_least("2025-06-18"));
        assert!(v("2026-07-28").at_least("2025-03-26"));
        assert!(!v("2024-11-05").at_least("2025-03-26"));
    }
}
