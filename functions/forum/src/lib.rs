//! `/api/client/forum/*`: forums and topics are public to every client; subscriptions,
//! favourites and forum profiles are per client. Other members' e-mail addresses and IPs never
//! appear in an answer.
//!
//! The records, their keys and the rules are `bb_domain::forum`. A new post notifies
//! subscribers through a fan-out job, after the commit.

// Request paths return errors; they never panic on input.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use bb_core::crypto::sha256_hex;
use bb_core::domain::activity;
use bb_core::domain::client as clients;
use bb_core::domain::forum::{
    Favorite, Forum, ForumRef, ForumStatus, ForumView, Post, PostRow, ProfileView, Subscription, Summary, Topic,
    TopicRow, TopicSlug, TopicView, check_message, counted, forum_topics_partition, points_for, profile_update,
    slugify,
};
use bb_core::keys;
use bb_core::notifier::{self, FanoutJob, TemplateCode};
use bb_core::prelude::*;
use bb_core::store::{Ids, Index, from_item, query_all};

pub fn module() -> Module {
    Module::new("forum")
        .summary("forums, topics by forum on gsi2, posts, subscriptions")
        .indexes(&[Index::Gsi2])
        .method(Access::Read, "get_list", get_list)
        .method(Access::Read, "get_categories", get_categories)
        .method(Access::Read, "get", get)
        .method(Access::Read, "get_topic_list", get_topic_list)
        .method(Access::Read, "get_topic", get_topic)
        .method(Access::Write, "start_topic", start_topic)
        .method(Access::Read, "get_topic_message_list", get_topic_message_list)
        .method(Access::Write, "post_message", post_message)
        .method(Access::Read, "is_subscribed", is_subscribed)
        .method(Access::Write, "subscribe", subscribe)
        .method(Access::Write, "unsubscribe", unsubscribe)
        .method(Access::Read, "favorites", favorites)
        .method(Access::Read, "is_favorite", is_favorite)
        .method(Access::Write, "favorite_add", favorite_add)
        .method(Access::Write, "favorite_remove", favorite_remove)
        .method(Access::Read, "profile", profile)
}

async fn forums(ctx: &Ctx) -> ApiResult<Vec<Forum>> {
    let items = query_all(ctx.store(), Query::partition(keys::FORUMS)).await?;
    let sk = |i: &Item| i.get("sk").and_then(Attr::as_str).map(String::from).unwrap_or_default();
    let mut list: Vec<Forum> = items
        .iter()
        .filter(|i| sk(i).starts_with("F#"))
        .map(from_item)
        .collect::<Result<_, _>>()?;
    // Counter shards (`FC#<forum>#<n>`) add to their forum's counts.
    for shard in items.iter().filter(|i| sk(i).starts_with("FC#")) {
        let forum_id = shard.get("forum_id").and_then(Attr::as_i64);
        if let Some(forum) = list.iter_mut().find(|f| Some(f.id) == forum_id) {
            let count = |name: &str| shard.get(name).and_then(Attr::as_i64).unwrap_or(0);
            forum.topics_count += count("topics_count");
            forum.posts_count += count("posts_count");
        }
    }
    list.sort_by(|a, b| (a.priority, &a.category).cmp(&(b.priority, &b.category)));
    Ok(list)
}

/// Every forum, ordered by priority and category.
async fn get_list(ctx: ClientCtx, _: NoParams) -> ApiResult<Page<ForumView>> {
    let paging = ctx.paging()?;
    Ok(paging.paginate(forums(&ctx).await?, Forum::view))
}

/// Forums by category: `{category: [forum, ...]}`.
async fn get_categories(ctx: ClientCtx, _: NoParams) -> ApiResult<PhpMap<Vec<ForumView>>> {
    let mut out: Vec<(String, Vec<ForumView>)> = Vec::new();
    for forum in forums(&ctx).await? {
        let category = forum.category.clone().unwrap_or_default();
        match out.iter_mut().find(|(name, _)| *name == category) {
            Some((_, list)) => list.push(forum.view()),
            None => out.push((category, vec![forum.view()])),
        }
    }
    Ok(PhpMap(out))
}

#[derive(Params)]
struct IdOrSlug {
    id: Option<i64>,
    slug: Option<String>,
}

impl IdOrSlug {
    fn check(&self) -> ApiResult<()> {
        if self.id.is_none() && self.slug.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::new("ID or slug is missing"));
        }
        Ok(())
    }
}

async fn get(ctx: ClientCtx, p: IdOrSlug) -> ApiResult<ForumView> {
    p.check()?;
    let list = forums(&ctx).await?;
    let found = match p.id {
        Some(id) => list.iter().find(|f| f.id == id),
        None => list.iter().find(|f| Some(f.slug.as_str()) == p.slug.as_deref()),
    };
    found.map(Forum::view).ok_or_else(|| ApiError::new("Forum not found"))
}

#[derive(Params)]
struct TopicListParams {
    /// Topics of one forum; every forum's when omitted.
    forum_id: Option<i64>,
    /// Part of the title or of the first or last message.
    search: Option<String>,
}

/// Topics, sticky first, then by latest activity.
async fn get_topic_list(ctx: ClientCtx, p: TopicListParams) -> ApiResult<Page<TopicRow>> {
    let paging = ctx.paging()?;
    let items = match p.forum_id {
        Some(forum) => {
            query_all(
                ctx.store(),
                Query::partition(forum_topics_partition(forum))
                    .on(Index::Gsi2)
                    .backward(),
            )
            .await?
        }
        None => query_all(ctx.store(), Query::partition(keys::TOPICS)).await?,
    };
    let mut topics: Vec<Topic> = items.iter().map(from_item).collect::<Result<_, _>>()?;
    if let Some(q) = p
        .search
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        let has = |s: &Option<Summary>| s.as_ref().is_some_and(|m| m.message.to_lowercase().contains(&q));
        topics.retain(|t| t.title.to_lowercase().contains(&q) || has(&t.first) || has(&t.last));
    }
    topics.sort_by(|a, b| (b.sticky, &b.updated_at, b.id).cmp(&(a.sticky, &a.updated_at, a.id)));
    Ok(paging.paginate(topics, Topic::row))
}

fn topic_missing_by_id() -> ApiError {
    ApiError::new("Forum topic not found")
}

/// A topic, counting the view.
async fn get_topic(ctx: ClientCtx, p: IdOrSlug) -> ApiResult<TopicView> {
    p.check()?;
    let id = match (p.id, p.slug.as_deref()) {
        (Some(id), _) => id,
        // The slug's guard item, read strongly: an index would miss a topic started a moment ago.
        (None, Some(slug)) => ctx
            .store()
            .get(&keys::topic_slug(slug))
            .await?
            .map(|item| TopicSlug::from_item(&item))
            .transpose()?
            .map(|claim| claim.topic_id)
            .ok_or_else(|| ApiError::new("Forum Topic not found"))?,
        _ => return Err(ApiError::new("ID or slug is missing")),
    };
    match ctx.store().update(Topic::viewed(id), Returning::AllNew).await {
        Ok(Some(item)) => Ok(from_item::<Topic>(&item)?.view()),
        Ok(None) | Err(StoreError::ConditionFailed) => Err(topic_missing_by_id()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Params)]
struct StartParams {
    #[param(required = "Forum ID not passed")]
    forum_id: i64,
    /// The topic's title.
    #[param(required = "Forum topic not passed")]
    topic: String,
    #[param(required = "Forum message not passed")]
    message: String,
    /// `slug` to answer the new topic's slug instead of its id.
    #[param(rename = "return")]
    answer: Option<String>,
    /// Ignored: new topics are active.
    #[param(rename = "status")]
    _status: Ignored,
}

/// Starts a topic with its first message; the author is subscribed to it.
/// The new topic's id, or its slug when `return` is `slug`.
async fn start_topic(ctx: ClientCtx, p: StartParams) -> ApiResult<OneOf<i64, String>> {
    let settings = ctx.app.settings().await?;
    check_message(&settings, &p.message)?;
    bb_core::validate::max_len("Topic", &p.topic, 255)?;
    let forum_key = keys::forum(p.forum_id);
    let found = ctx
        .store()
        .get_many(&[forum_key.clone(), keys::client(ctx.client_id)])
        .await?;
    let forum: Forum = from_item(found.get(&forum_key).ok_or_else(|| ApiError::new("Forum not found"))?)?;
    let client = clients::ClientRecord::from_item(
        found
            .get(&keys::client(ctx.client_id))
            .ok_or_else(|| ApiError::auth(201))?,
    )?;
    if forum.status == ForumStatus::Locked {
        return Err(ApiError::new("Forum is locked. No new topics can be started"));
    }
    let mut ids = Ids::allocate(ctx.store(), &[(IdKind::ForumTopic, 1), (IdKind::ForumMessage, 1)]).await?;
    let (topic_id, message_id) = (ids.next(IdKind::ForumTopic)?, ids.next(IdKind::ForumMessage)?);
    let now = ctx.now_text();
    let points = points_for(&settings, forum.id, &p.message);
    let post = Post {
        id: message_id,
        forum_topic_id: topic_id,
        client_id: Some(ctx.client_id),
        admin_id: None,
        message: p.message,
        ip: Some(ctx.meta.ip.clone()),
        points,
        author_name: client.full_name(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let summary = Summary {
        id: post.id,
        message: post.message.clone(),
        client_id: post.client_id,
        author_name: post.author_name.clone(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    // A title already taken gets the next free `-2`, `-3`, ... slug.
    let base = slugify(&p.topic);
    for attempt in 1..=20 {
        let slug = if attempt == 1 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        let topic = Topic {
            id: topic_id,
            forum_id: forum.id,
            forum: ForumRef {
                category: forum.category.clone(),
                id: forum.id,
                slug: forum.slug.clone(),
                title: forum.title.clone(),
            },
            title: p.topic.clone(),
            slug: slug.clone(),
            status: ForumStatus::Active,
            sticky: false,
            views: 0,
            posts_count: 1,
            first: Some(summary.clone()),
            last: Some(summary.clone()),
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let claim = TopicSlug {
            slug: slug.clone(),
            topic_id,
        };
        let mut tx = Tx::new();
        let slug_claim = tx.add(claim.put_new()?);
        tx.push(topic.put_new()?);
        tx.push(post.put_new()?);
        let forum_open = tx.add(TxOp::Check {
            key: forum_key.clone(),
            cond: Forum::open_for_topics(),
        });
        tx.extend([
            TxOp::Update(counted(forum.id, topic_id, 1, 1)),
            profile_update(ctx.client_id, points),
            Subscription {
                topic_id,
                client_id: ctx.client_id,
                created_at: now.clone(),
            }
            .put()?,
            activity::log(
                &ctx.origin(),
                ctx.client_id,
                format!("Started new forum topic \"{}\"", p.topic),
            ),
        ]);
        match ctx.store().transact(tx.into_ops()).await {
            Ok(()) => {
                return Ok(if p.answer.as_deref() == Some("slug") {
                    OneOf::Second(slug)
                } else {
                    OneOf::First(topic_id)
                });
            }
            Err(e) if e.failed(slug_claim) => continue,
            Err(e) if e.failed(forum_open) => {
                return Err(ApiError::new("Forum is locked. No new topics can be started"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        "Too many topics have this title. Please choose another one.",
    ))
}

#[derive(Params)]
struct MessageListParams {
    #[param(required = "Forum Topic ID not passed")]
    forum_topic_id: i64,
    /// Part of the message.
    q: Option<String>,
    search: Option<String>,
    /// `id` (default) or `created_at`.
    orderby: Option<String>,
    /// `asc` (default) or `desc`.
    sortorder: Option<String>,
}

/// A topic's messages, oldest first by default.
async fn get_topic_message_list(ctx: ClientCtx, p: MessageListParams) -> ApiResult<Page<PostRow>> {
    let paging = ctx.paging()?;
    let items = query_all(
        ctx.store(),
        Query::partition(keys::topic_partition(p.forum_topic_id)).prefix("M#"),
    )
    .await?;
    let mut posts: Vec<Post> = items.iter().map(from_item).collect::<Result<_, _>>()?;
    let q =
        p.q.or(p.search)
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
    if let Some(q) = q {
        posts.retain(|m| m.message.to_lowercase().contains(&q));
    }
    match p.orderby.as_deref() {
        Some("created_at") => posts.sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id))),
        _ => posts.sort_by_key(|m| m.id),
    }
    if p.sortorder.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("desc")) {
        posts.reverse();
    }
    Ok(paging.paginate(posts, Post::row))
}

#[derive(Params)]
struct PostParams {
    #[param(required = "Forum Topic ID not passed")]
    forum_topic_id: i64,
    #[param(required = "Topic message not passed")]
    message: String,
}

/// Posts in a topic; every other subscriber is told by e-mail, after the answer.
async fn post_message(ctx: ClientCtx, p: PostParams) -> ApiResult<i64> {
    let settings = ctx.app.settings().await?;
    check_message(&settings, &p.message)?;
    let key = keys::topic(p.forum_topic_id);
    let found = ctx
        .store()
        .get_many(&[key.clone(), keys::client(ctx.client_id)])
        .await?;
    let topic: Topic = from_item(found.get(&key).ok_or_else(|| ApiError::new("Forum Topic not found"))?)?;
    let client = clients::ClientRecord::from_item(
        found
            .get(&keys::client(ctx.client_id))
            .ok_or_else(|| ApiError::auth(201))?,
    )?;
    if topic.status == ForumStatus::Locked {
        return Err(ApiError::new("Forum topic is locked. No new message can be posted"));
    }
    // The same post sent again (its first answer was lost) is already the topic's last one.
    if let Some(last) = topic.last.as_ref().filter(|l| {
        l.client_id == Some(ctx.client_id)
            && l.message == p.message
            && bb_core::idempotency::is_repeat_window(&l.created_at, ctx.now())
    }) {
        return Ok(last.id);
    }
    let id = bb_core::store::next_ids(ctx.store(), &[IdKind::ForumMessage]).await?[0];
    let now = ctx.now_text();
    let points = points_for(&settings, topic.forum_id, &p.message);
    let post = Post {
        id,
        forum_topic_id: topic.id,
        client_id: Some(ctx.client_id),
        admin_id: None,
        message: p.message,
        ip: Some(ctx.meta.ip.clone()),
        points,
        author_name: client.full_name(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let last = Summary {
        id,
        message: post.message.clone(),
        client_id: post.client_id,
        author_name: post.author_name.clone(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let job = FanoutJob::new(
        format!("forum-{}-{id}", topic.id),
        TemplateCode::ForumNewPost,
        json!({"topic": topic.view(), "message": post.row()}),
        keys::topic_partition(topic.id),
        Some(ctx.client_id),
        &now,
    );
    let mut tx = Tx::new();
    tx.push(post.put_new()?);
    let topic_open = tx.add(TxOp::Update(topic.replied(&last, &now)?));
    tx.extend([
        TxOp::Update(counted(topic.forum_id, id, 0, 1)),
        profile_update(ctx.client_id, points),
        TxOp::put_new(job.to_item(ctx.epoch())?),
        activity::log(
            &ctx.origin(),
            ctx.client_id,
            format!("Posted message in topic #{}", topic.id),
        ),
    ]);
    match ctx.store().transact(tx.into_ops()).await {
        Ok(()) => {
            notifier::dispatch_fanout(&ctx.app, &job);
            Ok(id)
        }
        Err(e) if e.failed(topic_open) => Err(ApiError::new("Forum topic is locked. No new message can be posted")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Params)]
struct TopicIdParams {
    /// Topic id.
    #[param(required = "Forum Topic ID not passed")]
    id: i64,
}

async fn is_subscribed(ctx: ClientCtx, p: TopicIdParams) -> ApiResult<bool> {
    Ok(ctx
        .store()
        .get(&keys::subscription(p.id, ctx.client_id))
        .await?
        .is_some())
}

async fn subscribe(ctx: ClientCtx, p: TopicIdParams) -> ApiResult<bool> {
    let mut tx = Tx::new();
    let topic_exists = tx.add(TxOp::Check {
        key: keys::topic(p.id),
        cond: Cond::exists(),
    });
    let subscription = tx.add(
        Subscription {
            topic_id: p.id,
            client_id: ctx.client_id,
            created_at: ctx.now_text(),
        }
        .put_new()?,
    );
    tx.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Subscribed to forum topic {}", p.id),
    ));
    match ctx.store().transact(tx.into_ops()).await {
        Ok(()) => Ok(true),
        Err(e) if e.failed(topic_exists) => Err(ApiError::new("Forum Topic not found")),
        Err(e) if e.failed(subscription) => {
            Err(ApiError::new("You have already subscribed to this topic notifications"))
        }
        Err(e) => Err(e.into()),
    }
}

async fn unsubscribe(ctx: ClientCtx, p: TopicIdParams) -> ApiResult<bool> {
    ctx.store()
        .delete(&keys::subscription(p.id, ctx.client_id), None)
        .await?;
    Ok(true)
}

/// Every favourite topic of the caller.
async fn favorites(ctx: ClientCtx, _: NoParams) -> ApiResult<Vec<TopicView>> {
    let items = query_all(
        ctx.store(),
        Query::partition(keys::client_partition(ctx.client_id)).prefix("FAV#"),
    )
    .await?;
    let topic_keys: Vec<Key> = items
        .iter()
        .map(|item| Favorite::from_item(item).map(|f| keys::topic(f.topic_id)))
        .collect::<Result<_, _>>()?;
    let mut topics = Vec::new();
    for chunk in topic_keys.chunks(100) {
        for item in ctx.store().get_many(chunk).await?.items() {
            topics.push(from_item::<Topic>(item)?);
        }
    }
    topics.sort_by_key(|t| t.id);
    Ok(topics.iter().map(Topic::view).collect())
}

async fn is_favorite(ctx: ClientCtx, p: TopicIdParams) -> ApiResult<bool> {
    Ok(ctx.store().get(&keys::favorite(ctx.client_id, p.id)).await?.is_some())
}

async fn favorite_add(ctx: ClientCtx, p: TopicIdParams) -> ApiResult<bool> {
    let favorite = Favorite {
        client_id: ctx.client_id,
        topic_id: p.id,
        created_at: ctx.now_text(),
    };
    let mut tx = Tx::new();
    let topic_exists = tx.add(TxOp::Check {
        key: keys::topic(p.id),
        cond: Cond::exists(),
    });
    let favorite = tx.add(favorite.put_new()?);
    tx.push(activity::log(
        &ctx.origin(),
        ctx.client_id,
        format!("Added forum topic {} to favorites", p.id),
    ));
    match ctx.store().transact(tx.into_ops()).await {
        Ok(()) => Ok(true),
        Err(e) if e.failed(topic_exists) => Err(ApiError::new("Forum Topic not found")),
        Err(e) if e.failed(favorite) => Err(ApiError::new("You have already added this topic to favorites")),
        Err(e) => Err(e.into()),
    }
}

async fn favorite_remove(ctx: ClientCtx, p: TopicIdParams) -> ApiResult<bool> {
    ctx.store().delete(&keys::favorite(ctx.client_id, p.id), None).await?;
    Ok(true)
}

/// The caller's forum profile: posts, points, avatar.
async fn profile(ctx: ClientCtx, _: NoParams) -> ApiResult<ProfileView> {
    let found = ctx
        .store()
        .get_many(&[keys::client(ctx.client_id), keys::forum_profile(ctx.client_id)])
        .await?;
    let client = clients::ClientRecord::from_item(
        found
            .get(&keys::client(ctx.client_id))
            .ok_or_else(|| ApiError::auth(201))?,
    )?;
    let stats = found.get(&keys::forum_profile(ctx.client_id));
    let count = |name: &str| stats.and_then(|s| s.get(name)).and_then(Attr::as_i64).unwrap_or(0);
    Ok(ProfileView {
        id: client.id,
        posts: count("posts"),
        points: count("points"),
        gravatar: format!(
            "https://gravatar.com/avatar/{}",
            sha256_hex(client.email.trim().to_lowercase().as_bytes())
        ),
        name: client.full_name(),
        created_at: client.created_at.clone(),
    })
}
