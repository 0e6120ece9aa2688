//! The store port on DynamoDB. Typed conditions and updates become expressions with
//! placeholder names and values; every `send()` is one counted round trip.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ReturnValue, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update as DdbUpdate,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bb_ports::clock::{Clock, SystemClock};
use bb_ports::store::{
    Attr, Batch, Cond, Cursor, Index, Item, Key, PK, Page, Query, Returning, SK, SkCond, Store, StoreError,
    StoreResult, TTL, TxOp, Update, UpdateOp, is_expired, metrics, validate_batch, validate_transaction,
};
use std::collections::HashMap;
use std::sync::Arc;

pub struct DynamoStore {
    client: Client,
    table: String,
    /// What "now" is for time-to-live. DynamoDB deletes an expired item up to days late, so
    /// reads and conditions judge expiry themselves, by the application's clock.
    clock: Arc<dyn Clock>,
}

type AttrMap = HashMap<String, AttributeValue>;

fn unavailable(e: impl std::error::Error) -> StoreError {
    StoreError::Unavailable(format!("dynamodb: {}", DisplayErrorContext(&e)))
}

/// What a failed call means for the caller, from DynamoDB's documented error codes. Codes the
/// SDK already retried (throttling, 500s) arrive here once its attempts are spent.
fn classify<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = e.code().map(String::from);
    match (&e, code.as_deref()) {
        (SdkError::ServiceError(_), Some("ConditionalCheckFailedException")) => StoreError::ConditionFailed,
        (
            SdkError::ServiceError(_),
            Some("ThrottlingException" | "ProvisionedThroughputExceededException" | "RequestLimitExceeded"),
        ) => StoreError::Throttled,
        // A single-item write met a transaction in progress on that item; it was not applied.
        (SdkError::ServiceError(_), Some("TransactionConflictException")) => StoreError::Conflict,
        // "The request may or may not have succeeded": a 500, or a transaction with this
        // request's token still running.
        (
            SdkError::ServiceError(_),
            Some("InternalServerError" | "ServiceUnavailable" | "TransactionInProgressException"),
        )
        | (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_), _) => {
            StoreError::Indeterminate(format!("dynamodb: {}", DisplayErrorContext(&e)))
        }
        (SdkError::ConstructionFailure(_), _) => invalid(DisplayErrorContext(&e)),
        _ => unavailable(e),
    }
}

/// A cancelled transaction's reasons, one per operation, as the store port reports them.
fn cancelled(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> StoreError {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("None")).collect();
    if codes.contains(&"ConditionalCheckFailed") {
        return StoreError::TransactionCanceled {
            failed: codes.iter().map(|c| *c == "ConditionalCheckFailed").collect(),
        };
    }
    if codes.contains(&"TransactionConflict") {
        return StoreError::Conflict;
    }
    if codes.iter().any(|c| {
        matches!(
            *c,
            "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded"
        )
    }) {
        return StoreError::Throttled;
    }
    StoreError::Invalid(format!("dynamodb transaction cancelled: {codes:?}"))
}

fn invalid(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("dynamodb request: {e}"))
}

pub fn to_ddb(attr: &Attr) -> AttributeValue {
    match attr {
        Attr::S(s) => AttributeValue::S(s.clone()),
        Attr::N(n) => AttributeValue::N(n.clone()),
        Attr::Bool(b) => AttributeValue::Bool(*b),
        Attr::Null => AttributeValue::Null(true),
        Attr::L(l) => AttributeValue::L(l.iter().map(to_ddb).collect()),
        Attr::M(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), to_ddb(v))).collect()),
    }
}

pub fn from_ddb(value: &AttributeValue) -> Attr {
    match value {
        AttributeValue::S(s) => Attr::S(s.clone()),
        AttributeValue::N(n) => Attr::N(n.clone()),
        AttributeValue::Bool(b) => Attr::Bool(*b),
        AttributeValue::L(l) => Attr::L(l.iter().map(from_ddb).collect()),
        AttributeValue::M(m) => Attr::M(m.iter().map(|(k, v)| (k.clone(), from_ddb(v))).collect()),
        // Sets and binaries are never written by this project.
        _ => Attr::Null,
    }
}

fn item_to_ddb(item: &Item) -> AttrMap {
    item.iter().map(|(k, v)| (k.clone(), to_ddb(v))).collect()
}

fn item_from_ddb(map: &AttrMap) -> Item {
    map.iter().map(|(k, v)| (k.clone(), from_ddb(v))).collect()
}

fn key_map(key: &Key) -> AttrMap {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Placeholder names and values of one expression set, built at one moment (`now` decides
/// what [`Cond::Live`] and [`Cond::Absent`] mean for items with a TTL).
struct Expr {
    names: HashMap<String, String>,
    values: AttrMap,
    now: i64,
}

impl Expr {
    /// An empty expression whose time-to-live conditions compare against `now`.
    fn at(now: i64) -> Self {
        Expr {
            names: HashMap::new(),
            values: HashMap::new(),
            now,
        }
    }
}

impl Expr {
    fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_string());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn cond(&mut self, cond: &Cond) -> String {
        let mut cmp = |n: &str, op: &str, v: &Attr| {
            let n = self.name(n);
            let v = self.value(to_ddb(v));
            format!("{n} {op} {v}")
        };
        match cond {
            Cond::Live => {
                let (pk, ttl) = (self.name(PK), self.name(TTL));
                let now = self.value(AttributeValue::N(self.now.to_string()));
                format!("(attribute_exists({pk}) AND (attribute_not_exists({ttl}) OR {ttl} > {now}))")
            }
            Cond::Absent => {
                let (pk, ttl) = (self.name(PK), self.name(TTL));
                let now = self.value(AttributeValue::N(self.now.to_string()));
                format!("(attribute_not_exists({pk}) OR {ttl} <= {now})")
            }
            Cond::Exists(n) => format!("attribute_exists({})", self.name(n)),
            Cond::NotExists(n) => format!("attribute_not_exists({})", self.name(n)),
            Cond::Eq(n, v) => cmp(n, "=", v),
            Cond::Ne(n, v) => cmp(n, "<>", v),
            Cond::Lt(n, v) => cmp(n, "<", v),
            Cond::Le(n, v) => cmp(n, "<=", v),
            Cond::Gt(n, v) => cmp(n, ">", v),
            Cond::Ge(n, v) => cmp(n, ">=", v),
            Cond::BeginsWith(n, p) => {
                let n = self.name(n);
                let p = self.value(AttributeValue::S(p.clone()));
                format!("begins_with({n}, {p})")
            }
            Cond::And(all) => self.join(all, " AND ", true),
            Cond::Or(any) => self.join(any, " OR ", false),
            Cond::Not(c) => format!("(NOT {})", self.cond(c)),
        }
    }

    /// Empty AND is true and empty OR is false, as in the embedded evaluator.
    fn join(&mut self, parts: &[Cond], sep: &str, empty_is_true: bool) -> String {
        if parts.is_empty() {
            let pk = self.name(PK);
            let glue = if empty_is_true { "OR" } else { "AND" };
            return format!("(attribute_exists({pk}) {glue} attribute_not_exists({pk}))");
        }
        let inner: Vec<String> = parts.iter().map(|c| self.cond(c)).collect();
        format!("({})", inner.join(sep))
    }

    fn update(&mut self, ops: &[UpdateOp]) -> Option<String> {
        let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for op in ops {
            match op {
                UpdateOp::Set(n, v) => {
                    let (n, v) = (self.name(n), self.value(to_ddb(v)));
                    set.push(format!("{n} = {v}"));
                }
                UpdateOp::SetIfAbsent(n, v) => {
                    let (n, v) = (self.name(n), self.value(to_ddb(v)));
                    set.push(format!("{n} = if_not_exists({n}, {v})"));
                }
                UpdateOp::Add(n, by) => {
                    let (n, v) = (self.name(n), self.value(AttributeValue::N(by.to_string())));
                    add.push(format!("{n} {v}"));
                }
                UpdateOp::Remove(n) => remove.push(self.name(n)),
                UpdateOp::Append(n, values) => {
                    let n = self.name(n);
                    let empty = self.value(AttributeValue::L(Vec::new()));
                    let v = self.value(AttributeValue::L(values.iter().map(to_ddb).collect()));
                    set.push(format!("{n} = list_append(if_not_exists({n}, {empty}), {v})"));
                }
            }
        }
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !add.is_empty() {
            clauses.push(format!("ADD {}", add.join(", ")));
        }
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        (!clauses.is_empty()).then(|| clauses.join(" "))
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<AttrMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn live(item: Item, now: i64) -> Option<Item> {
    (!is_expired(&item, now)).then_some(item)
}

fn encode_cursor(key: &AttrMap) -> Cursor {
    let item = item_from_ddb(key);
    let json = serde_json::Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_tagged())).collect());
    Cursor(URL_SAFE_NO_PAD.encode(json.to_string()))
}

fn decode_cursor(cursor: &Cursor) -> StoreResult<AttrMap> {
    let bad = || StoreError::Invalid("cursor is not one of ours".into());
    let raw = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| bad())?;
    let json: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    json.as_object()
        .ok_or_else(bad)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), to_ddb(&Attr::from_tagged(v)?))))
        .collect()
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same store judging time-to-live by `clock` (tests run on a clock of their own).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> DynamoStore {
        DynamoStore { clock, ..self }
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn tx_item(&self, op: &TxOp) -> StoreResult<TransactWriteItem> {
        let mut expr = Expr::at(self.now());
        let built = match op {
            TxOp::Put { item, cond } => {
                let cond = cond.as_ref().map(|c| expr.cond(c));
                TransactWriteItem::builder().put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item_to_ddb(item)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(invalid)?,
                )
            }
            TxOp::Update(update) => {
                let update_expr = expr
                    .update(&update.ops)
                    .ok_or_else(|| StoreError::Invalid("update without actions in a transaction".into()))?;
                let cond = update.cond.as_ref().map(|c| expr.cond(c));
                TransactWriteItem::builder().update(
                    DdbUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(&update.key)))
                        .update_expression(update_expr)
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(invalid)?,
                )
            }
            TxOp::Delete { key, cond } => {
                let cond = cond.as_ref().map(|c| expr.cond(c));
                TransactWriteItem::builder().delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(key)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(invalid)?,
                )
            }
            TxOp::Check { key, cond } => {
                let cond = expr.cond(cond);
                TransactWriteItem::builder().condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(key)))
                        .condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(invalid)?,
                )
            }
        };
        Ok(built.build())
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        metrics::round_trip();
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item().map(item_from_ddb).and_then(|i| live(i, self.now())))
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Batch> {
        validate_batch(keys)?;
        if keys.is_empty() {
            return Ok(Batch::default());
        }
        metrics::round_trip();
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(key_map).collect()))
            .consistent_read(true)
            .build()
            .map_err(invalid)?;
        let resp = self
            .client
            .batch_get_item()
            .request_items(&self.table, request)
            .send()
            .await
            .map_err(classify)?;
        let items = resp
            .responses()
            .and_then(|r| r.get(&self.table))
            .map(|items| {
                items
                    .iter()
                    .map(item_from_ddb)
                    .filter_map(|i| live(i, self.now()))
                    .collect()
            })
            .unwrap_or_default();
        let unprocessed = resp
            .unprocessed_keys()
            .and_then(|u| u.get(&self.table))
            .map(|left| left.keys().iter().filter_map(|k| Key::of(&item_from_ddb(k))).collect())
            .unwrap_or_default();
        Ok(Batch { items, unprocessed })
    }

    async fn put(&self, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        bb_ports::store::validate_item(&item)?;
        metrics::round_trip();
        let mut expr = Expr::at(self.now());
        let cond = cond.as_ref().map(|c| expr.cond(c));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_to_ddb(&item)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn update(&self, update: Update, returning: Returning) -> StoreResult<Option<Item>> {
        update.validate()?;
        metrics::round_trip();
        let mut expr = Expr::at(self.now());
        let update_expr = expr.update(&update.ops);
        let cond = update.cond.as_ref().map(|c| expr.cond(c));
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(&update.key)))
            .set_update_expression(update_expr)
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(match returning {
                Returning::Nothing => ReturnValue::None,
                Returning::AllNew => ReturnValue::AllNew,
                Returning::AllOld => ReturnValue::AllOld,
            })
            .send()
            .await
            .map_err(classify)?;
        Ok(match returning {
            Returning::Nothing => None,
            _ => out.attributes().map(item_from_ddb),
        })
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> StoreResult<Option<Item>> {
        metrics::round_trip();
        let mut expr = Expr::at(self.now());
        let cond = cond.as_ref().map(|c| expr.cond(c));
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.attributes().map(item_from_ddb))
    }

    async fn query(&self, query: Query) -> StoreResult<Page> {
        metrics::round_trip();
        let (pk_name, sk_name) = query.index.key_names();
        let mut expr = Expr::at(self.now());
        let pk = format!(
            "{} = {}",
            expr.name(pk_name),
            expr.value(AttributeValue::S(query.pk.clone()))
        );
        let key_cond = match &query.sk {
            None => pk,
            Some(sk) => {
                let n = expr.name(sk_name);
                let mut v = |s: &String| expr.value(AttributeValue::S(s.clone()));
                let clause = match sk {
                    SkCond::Eq(s) => format!("{n} = {}", v(s)),
                    SkCond::Lt(s) => format!("{n} < {}", v(s)),
                    SkCond::Le(s) => format!("{n} <= {}", v(s)),
                    SkCond::Gt(s) => format!("{n} > {}", v(s)),
                    SkCond::Ge(s) => format!("{n} >= {}", v(s)),
                    SkCond::Between(a, b) => format!("{n} BETWEEN {} AND {}", v(a), v(b)),
                    SkCond::BeginsWith(p) => format!("begins_with({n}, {})", v(p)),
                };
                format!("{pk} AND {clause}")
            }
        };
        let start = query.cursor.as_ref().map(decode_cursor).transpose()?;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.name().map(String::from))
            .key_condition_expression(key_cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .scan_index_forward(query.forward)
            .consistent_read(query.index == Index::Table)
            .set_limit(query.limit.map(|l| i32::try_from(l).unwrap_or(i32::MAX)))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        Ok(Page {
            items: out
                .items()
                .iter()
                .map(item_from_ddb)
                .filter_map(|i| live(i, self.now()))
                .collect(),
            cursor: out.last_evaluated_key().map(encode_cursor),
        })
    }

    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        let items = ops.iter().map(|op| self.tx_item(op)).collect::<StoreResult<Vec<_>>>()?;
        metrics::round_trip();
        // A token of this call's own: the SDK reuses it across its attempts (so an attempt whose
        // answer was lost is not applied twice), and a transaction sent again after a conflict
        // is a new call with a new token.
        // (ClientRequestToken: at most 36 characters; 32 hex digits carry 128 random bits.)
        let token = bb_ports::crypto::random_bytes::<16>()
            .map(hex::encode)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) => match service.into_err() {
                TransactWriteItemsError::TransactionCanceledException(t) => Err(cancelled(t.cancellation_reasons())),
                other => Err(classify(SdkError::<_, ()>::service_error(other, ()))),
            },
            Err(other) => Err(classify(other)),
        }
    }
}

/// Creates the table as `infra/template.yaml` declares it (for emulators and `bb table create`).
pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(invalid)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(invalid)
    };
    let gsi = |name: &str, pk: &str, sk: &str| -> StoreResult<GlobalSecondaryIndex> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash)?)
            .key_schema(key(sk, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(invalid)
    };
    let result = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .attribute_definitions(attr("gsi1pk")?)
        .attribute_definitions(attr("gsi1sk")?)
        .attribute_definitions(attr("gsi2pk")?)
        .attribute_definitions(attr("gsi2sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .global_secondary_indexes(gsi("gsi1", "gsi1pk", "gsi1sk")?)
        .global_secondary_indexes(gsi("gsi2", "gsi2pk", "gsi2sk")?)
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(e) => match e.into_service_error() {
            e if e.is_resource_in_use_exception() => return Ok(()),
            e => return Err(unavailable(e)),
        },
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}
