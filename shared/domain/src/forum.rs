//! The forum: forums, topics, posts, subscriptions and favourites, and the rules for
//! messages, slugs and points.
//!
//! Forums: `FORUM` / `F#<id>` (counts in shards `FC#<id>#<n>`). Topics: `TOPICS` / `T#<id>`,
//! by slug through a claim item (`TSLUG#<slug>` / `SLUG`, which also makes slugs unique), per
//! forum by activity through gsi2 (`FTOPICS#<forum>` / `<sticky>#<last activity>#<id>`).
//! Messages and subscriptions live in the topic's partition, favourites in the client's.

use crate::error::{ApiError, ApiResult};
use crate::keys::{self, pad};
use crate::settings::Settings;
use crate::store::{Attr, Cond, Index, IndexEntry, Key, Record, StoreError, TxOp, Update, to_item};
use bb_macros::Answer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest message by default (`mod_forum.max_message_length` changes it).
pub const MESSAGE_MAX: usize = 20_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Forum {
    pub id: i64,
    #[serde(default)]
    pub category: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub slug: String,
    #[serde(default)]
    pub status: ForumStatus,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub topics_count: i64,
    #[serde(default)]
    pub posts_count: i64,
}

named! {
    /// Whether a forum or topic takes new posts.
    #[derive(Default)]
    pub enum ForumStatus {
        #[default]
        Active = "active",
        Locked = "locked",
    }
}

impl Record for Forum {
    fn key(&self) -> Key {
        keys::forum(self.id)
    }
}

/// `[forum]`, as BoxBilling answers it.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct ForumView {
    pub id: i64,
    pub category: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub slug: String,
    pub status: ForumStatus,
    pub priority: i64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub stats: ForumStats,
}

#[derive(Debug, Clone, Serialize, Answer)]
pub struct ForumStats {
    pub topics_count: i64,
    pub posts_count: i64,
    /// BoxBilling does not count a forum's views.
    pub views_count: (),
}

impl Forum {
    /// A transaction's check that the forum still exists and is not locked.
    pub fn open_for_topics() -> Cond {
        Cond::Ne("status".into(), ForumStatus::Locked.as_str().into()).and(Cond::exists())
    }

    /// `[forum]`.
    pub fn view(&self) -> ForumView {
        ForumView {
            id: self.id,
            category: self.category.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            slug: self.slug.clone(),
            status: self.status,
            priority: self.priority,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            stats: ForumStats {
                topics_count: self.topics_count,
                posts_count: self.posts_count,
                views_count: (),
            },
        }
    }
}

/// The first and last messages a topic shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub id: i64,
    pub message: String,
    #[serde(default)]
    pub client_id: Option<i64>,
    pub author_name: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Topic {
    pub id: i64,
    pub forum_id: i64,
    /// The forum's handle, title and category, as the topic shows them.
    pub forum: ForumRef,
    pub title: String,
    pub slug: String,
    pub status: ForumStatus,
    #[serde(default)]
    pub sticky: bool,
    #[serde(default)]
    pub views: i64,
    #[serde(default)]
    pub posts_count: i64,
    #[serde(default)]
    pub first: Option<Summary>,
    #[serde(default)]
    pub last: Option<Summary>,
    pub created_at: String,
    pub updated_at: String,
}

impl Topic {
    /// Counts one view of topic `id` (an atomic add: concurrent readers each count).
    pub fn viewed(id: i64) -> Update {
        Update::new(keys::topic(id)).add("views", 1).when(Cond::exists())
    }

    /// A reply at `now`: `last` becomes the topic's last message and its activity, the post is
    /// counted (atomically), refused once the topic is no longer active.
    pub fn replied(&self, last: &Summary, now: &str) -> Result<Update, StoreError> {
        Ok(self
            .activity_entry(now)
            .set_on(Update::new(self.key()))
            .add("posts_count", 1)
            .set("updated_at", now)
            .set("last", Attr::M(to_item(last)?))
            .when(Cond::eq("status", ForumStatus::Active.as_str())))
    }

    pub fn summary_view(&self, s: &Summary) -> SummaryView {
        SummaryView {
            id: s.id,
            forum_topic_id: self.id,
            message: s.message.clone(),
            created_at: s.created_at.clone(),
            updated_at: s.updated_at.clone(),
            author: Author {
                id: s.client_id,
                name: s.author_name.clone(),
            },
            forum_slug: self.forum.slug.clone(),
            forum_topic_slug: self.slug.clone(),
        }
    }

    /// `[topic]`.
    pub fn view(&self) -> TopicView {
        TopicView {
            id: self.id,
            title: self.title.clone(),
            slug: self.slug.clone(),
            status: self.status,
            sticky: self.sticky,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            forum: self.forum.clone(),
            stats: TopicStats {
                posts_count: self.posts_count,
                views_count: self.views,
            },
            first: self.first.as_ref().map(|m| self.summary_view(m)),
            last: self.last.as_ref().map(|m| self.summary_view(m)),
        }
    }

    /// The row `get_topic_list` answers (BoxBilling's raw topic columns).
    pub fn row(&self) -> TopicRow {
        TopicRow {
            id: self.id,
            forum_id: self.forum_id,
            title: self.title.clone(),
            slug: self.slug.clone(),
            status: self.status,
            sticky: self.sticky,
            views: self.views,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }

    /// Where the topic sits in its forum's list after activity at `last_activity`: sticky
    /// first, then by that time.
    pub fn activity_entry(&self, last_activity: &str) -> IndexEntry {
        IndexEntry::new(
            Index::Gsi2,
            forum_topics_partition(self.forum_id),
            format!("{}#{last_activity}#{}", if self.sticky { 1 } else { 0 }, pad(self.id)),
        )
    }
}

/// The forum a topic belongs to, as the topic shows it (fields in the stored map's order,
/// which is the wire's).
#[derive(Debug, Clone, Serialize, Deserialize, Answer, PartialEq, Default)]
pub struct ForumRef {
    pub category: Option<String>,
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// `forum/get_topic`: the topic with its forum and its first and last messages.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct TopicView {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub status: ForumStatus,
    pub sticky: bool,
    pub created_at: String,
    pub updated_at: String,
    pub forum: ForumRef,
    pub stats: TopicStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<SummaryView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<SummaryView>,
}

#[derive(Debug, Clone, Serialize, Answer)]
pub struct TopicStats {
    pub posts_count: i64,
    pub views_count: i64,
}

/// A topic's first or last message.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct SummaryView {
    pub id: i64,
    pub forum_topic_id: i64,
    pub message: String,
    pub created_at: String,
    pub updated_at: String,
    pub author: Author,
    pub forum_slug: String,
    pub forum_topic_slug: String,
}

/// `forum/profile`: the caller's posts, points and avatar.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct ProfileView {
    pub id: i64,
    pub posts: i64,
    pub points: i64,
    pub gravatar: String,
    pub name: String,
    pub created_at: String,
}

/// A row of `get_topic_list`.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct TopicRow {
    pub id: i64,
    pub forum_id: i64,
    pub title: String,
    pub slug: String,
    pub status: ForumStatus,
    pub sticky: bool,
    pub views: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The index partition of a forum's topics, by activity.
pub fn forum_topics_partition(forum_id: i64) -> String {
    format!("FTOPICS#{forum_id}")
}

impl Record for Topic {
    fn key(&self) -> Key {
        keys::topic(self.id)
    }
    fn index_entries(&self) -> Vec<IndexEntry> {
        vec![self.activity_entry(&self.updated_at)]
    }
}

/// The claim on a topic's slug (unique; `get_topic` by slug reads it strongly).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopicSlug {
    #[serde(skip)]
    pub slug: String,
    pub topic_id: i64,
}

impl Record for TopicSlug {
    fn key(&self) -> Key {
        keys::topic_slug(&self.slug)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Post {
    pub id: i64,
    pub forum_topic_id: i64,
    #[serde(default)]
    pub client_id: Option<i64>,
    #[serde(default)]
    pub admin_id: Option<i64>,
    pub message: String,
    /// Kept for abuse handling, never shown.
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub points: i64,
    pub author_name: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Post {
    /// The row `get_topic_message_list` answers, without the poster's address.
    pub fn row(&self) -> PostRow {
        PostRow {
            id: self.id,
            forum_topic_id: self.forum_topic_id,
            client_id: self.client_id,
            admin_id: self.admin_id,
            message: self.message.clone(),
            points: self.points,
            author: Author {
                id: self.client_id,
                name: self.author_name.clone(),
            },
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// A row of `get_topic_message_list`.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct PostRow {
    pub id: i64,
    pub forum_topic_id: i64,
    pub client_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub message: String,
    pub points: i64,
    pub author: Author,
    pub created_at: String,
    pub updated_at: String,
}

/// Who wrote a message: their client id (none for staff) and name, never their address.
#[derive(Debug, Clone, Serialize, Answer)]
pub struct Author {
    pub id: Option<i64>,
    pub name: String,
}

impl Record for Post {
    fn key(&self) -> Key {
        keys::topic_message(self.forum_topic_id, self.id)
    }
}

/// Adds to a forum's counts, on the shard `spread_by` (a new topic's or post's id) picks.
pub fn counted(forum_id: i64, spread_by: i64, topics: i64, posts: i64) -> Update {
    Update::new(keys::forum_counter(forum_id, spread_by))
        .set("forum_id", forum_id)
        .add("topics_count", topics)
        .add("posts_count", posts)
}

/// `My topic!` → `my-topic`: lower case, runs of other characters one dash.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "topic".into()
    } else {
        slug.chars().take(100).collect()
    }
}

/// A message is 2 characters at least and at most `mod_forum.max_message_length`.
pub fn check_message(settings: &Settings, message: &str) -> ApiResult<()> {
    if message.trim().chars().count() < 2 {
        return Err(ApiError::new("Your message is too short"));
    }
    let max = settings
        .module("forum")
        .get("max_message_length")
        .and_then(Value::as_u64)
        .map_or(MESSAGE_MAX, |n| n as usize);
    crate::validate::max_len("Message", message, max)
}

/// Points a post earns under `mod_forum` (`forum_points_enable`, `points`, `points_forums`,
/// `post_length`).
pub fn points_for(settings: &Settings, forum_id: i64, message: &str) -> i64 {
    let config = settings.module("forum");
    if !config.is_on("forum_points_enable") {
        return 0;
    }
    let points = config.get("points").and_then(Value::as_i64).unwrap_or(0);
    let in_forum = match config.get("points_forums") {
        Some(Value::Array(ids)) => ids.iter().any(|v| v.as_i64() == Some(forum_id)),
        _ => false,
    };
    let long_enough = message.chars().count() as i64 >= config.get("post_length").and_then(Value::as_i64).unwrap_or(0);
    if points > 0 && in_forum && long_enough {
        points
    } else {
        0
    }
}

/// The writes that count a client's post in their forum profile.
pub fn profile_update(client_id: i64, points: i64) -> TxOp {
    TxOp::Update(
        Update::new(keys::forum_profile(client_id))
            .add("posts", 1)
            .add("points", points),
    )
}

/// A client's subscription to a topic's new posts (in the topic's partition, where the
/// fan-out reads its subscribers).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscription {
    pub topic_id: i64,
    pub client_id: i64,
    pub created_at: String,
}

impl Record for Subscription {
    fn key(&self) -> Key {
        keys::subscription(self.topic_id, self.client_id)
    }
}

/// A topic a client marked (in the client's partition: `favorites` reads them all).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Favorite {
    pub client_id: i64,
    pub topic_id: i64,
    pub created_at: String,
}

impl Record for Favorite {
    fn key(&self) -> Key {
        keys::favorite(self.client_id, self.topic_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_with_single_dashes() {
        assert_eq!(slugify("My topic!"), "my-topic");
        assert_eq!(slugify("  --Ünïcode & more--  "), "n-code-more");
        assert_eq!(slugify("!!!"), "topic");
        assert_eq!(slugify(&"a".repeat(300)).len(), 100);
    }

    #[test]
    fn sticky_topics_sort_above_by_activity() {
        let topic = |id, sticky| Topic {
            id,
            forum_id: 3,
            forum: ForumRef::default(),
            title: "t".into(),
            slug: "t".into(),
            status: ForumStatus::Active,
            sticky,
            views: 0,
            posts_count: 0,
            first: None,
            last: None,
            created_at: "2026-01-01 00:00:00".into(),
            updated_at: "2026-01-01 00:00:00".into(),
        };
        let old_sticky = topic(1, true).activity_entry("2020-01-01 00:00:00");
        let new_plain = topic(2, false).activity_entry("2026-01-01 00:00:00");
        assert_eq!(old_sticky.pk, "FTOPICS#3");
        assert!(old_sticky.sk > new_plain.sk, "a backward query lists sticky first");
    }

    #[test]
    fn points_need_the_setting_the_forum_and_the_length() {
        let config = serde_json::json!({
            "mod_forum": {"forum_points_enable": "1", "points": 5, "points_forums": [3], "post_length": 4}
        });
        let settings = Settings(config.as_object().cloned().unwrap_or_default());
        assert_eq!(points_for(&settings, 3, "long enough"), 5);
        assert_eq!(points_for(&settings, 4, "long enough"), 0);
        assert_eq!(points_for(&settings, 3, "abc"), 0);
        assert_eq!(points_for(&Settings::default(), 3, "long enough"), 0);
    }
}
