//! The email outbox: rows written with the flags (or the weekly schedule) that cause them,
//! claimed by a worker with a lease, sent, marked. PostgreSQL claims with `FOR UPDATE SKIP
//! LOCKED` so several daemons share the queue; SQLite has one writer, so its claim is atomic
//! as it is.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Pool, StorageError, Store, with_pool};

/// What an outbox row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// Sent as soon as the worker sees it.
    Alert,
    /// Waits for the recipient's next digest.
    DigestItem,
    Digest,
    Weekly,
}

impl EmailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Alert => "alert",
            EmailKind::DigestItem => "digest_item",
            EmailKind::Digest => "digest",
            EmailKind::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<EmailKind> {
        Some(match s {
            "alert" => EmailKind::Alert,
            "digest_item" => EmailKind::DigestItem,
            "digest" => EmailKind::Digest,
            "weekly" => EmailKind::Weekly,
            _ => return None,
        })
    }
}

/// An email to queue. Rows whose `key` exists already are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmail {
    pub key: String,
    pub kind: EmailKind,
    pub recipient: String,
    pub language: &'static str,
    pub brand: Option<String>,
    pub flag_id: Option<i64>,
    pub week: Option<String>,
    pub message_id: String,
    pub due_at: DateTime<Utc>,
}

/// A queued email as the worker and `notify status` see it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub recipient: String,
    pub language: String,
    pub brand: Option<String>,
    pub flag_id: Option<i64>,
    pub week: Option<String>,
    pub message_id: String,
    pub status: String,
    pub attempts: i64,
    pub due_at: DateTime<Utc>,
    pub subject: Option<String>,
    #[serde(skip)]
    pub body_text: Option<String>,
    #[serde(skip)]
    pub body_html: Option<String>,
    pub attachment_name: Option<String>,
    #[serde(skip)]
    pub attachment: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The content of an email, fixed the first time it is rendered so that every retry sends
/// the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachment: Option<(String, String)>,
}

impl OutboxRow {
    pub fn kind(&self) -> Option<EmailKind> {
        EmailKind::parse(&self.kind)
    }

    pub fn rendered(&self) -> Option<RenderedEmail> {
        Some(RenderedEmail {
            subject: self.subject.clone()?,
            text: self.body_text.clone()?,
            html: self.body_html.clone()?,
            attachment: self.attachment_name.clone().zip(self.attachment.clone()),
        })
    }
}

/// Counts per kind and status, for `notify status` and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OutboxCount {
    pub kind: String,
    pub status: String,
    pub count: i64,
}

const COLUMNS: &str = "id, key, kind, recipient, language, brand, flag_id, week, message_id, \
     status, attempts, due_at, subject, body_text, body_html, attachment_name, attachment, \
     last_error, created_at, sent_at";

/// Inserts `emails` (existing keys skipped) with whatever executor the caller holds, so the
/// flags that cause them commit together with them.
macro_rules! insert_emails {
    ($exec:expr, $emails:expr, $at:expr) => {{
        let mut inserted = 0u64;
        for chunk in $emails.chunks(500) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO outbox (key, kind, recipient, language, brand, flag_id, week, \
                 message_id, due_at, created_at) ",
            );
            q.push_values(chunk, |mut row, e: &NewEmail| {
                row.push_bind(e.key.as_str())
                    .push_bind(e.kind.as_str())
                    .push_bind(e.recipient.as_str())
                    .push_bind(e.language)
                    .push_bind(e.brand.as_deref())
                    .push_bind(e.flag_id)
                    .push_bind(e.week.as_deref())
                    .push_bind(e.message_id.as_str())
                    .push_bind(e.due_at)
                    .push_bind($at);
            });
            q.push(" ON CONFLICT (key) DO NOTHING");
            inserted += q.build().execute(&mut *$exec).await?.rows_affected();
        }
        inserted
    }};
}
pub(crate) use insert_emails;

impl Store {
    /// Queues emails that no flag causes (the weekly list); returns how many are new.
    pub async fn enqueue_emails(
        &self,
        emails: &[NewEmail],
        at: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let _writer = self.write_guard().await;
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = insert_emails!(tx, emails, at);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        })?)
    }

    /// Claims up to `limit` due emails (alerts, digests, weekly lists) for `lease`: pending
    /// ones whose time has come, and claimed ones whose claimer died (lease over).
    pub async fn claim_emails(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StorageError> {
        let pick = "SELECT id FROM outbox WHERE kind <> 'digest_item' AND \
             ((status = 'pending' AND due_at <= $1) OR (status = 'sending' AND claimed_until < $1)) \
             ORDER BY due_at, id LIMIT $3";
        let lock = match self.pool {
            Pool::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Pool::Sqlite(_) => "",
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET status = 'sending', claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN ({pick}{lock}) RETURNING {COLUMNS}"
        ));
        let _writer = self.write_guard().await;
        let mut rows = with_pool!(self, pool => sqlx::query_as::<_, OutboxRow>(sql)
            .bind(now)
            .bind(now + lease)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        rows.sort_by_key(|r| (r.due_at, r.id));
        Ok(rows)
    }

    /// Fixes an email's content the first time it is rendered; returns what is stored (the
    /// earlier rendering if another worker got there first).
    pub async fn store_rendered(
        &self,
        id: i64,
        r: &RenderedEmail,
    ) -> Result<Option<RenderedEmail>, StorageError> {
        let (name, body) = r.attachment.clone().unzip();
        {
            let _writer = self.write_guard().await;
            with_pool!(self, pool => sqlx::query(
                "UPDATE outbox SET subject = $1, body_text = $2, body_html = $3, \
                 attachment_name = $4, attachment = $5 WHERE id = $6 AND subject IS NULL",
            )
            .bind(&r.subject)
            .bind(&r.text)
            .bind(&r.html)
            .bind(name)
            .bind(body)
            .bind(id)
            .execute(pool)
            .await.map(|_| ()))?;
        }
        Ok(self.outbox_row(id).await?.and_then(|row| row.rendered()))
    }

    pub async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"));
        Ok(with_pool!(self, pool => sqlx::query_as::<_, OutboxRow>(sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn outbox_by_key(&self, key: &str) -> Result<Option<OutboxRow>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM outbox WHERE key = $1"));
        Ok(with_pool!(self, pool => sqlx::query_as::<_, OutboxRow>(sql)
            .bind(key)
            .fetch_optional(pool)
            .await)?)
    }

    /// Marks a claimed email sent; digest items it carried are marked with it.
    pub async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL, \
                 last_error = NULL WHERE id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE outbox SET status = 'included', sent_at = $1 WHERE digest_id = $2 \
                 AND status = 'batched'",
            )
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// A failed attempt: due again at `retry_at`, or dead-lettered when `dead`.
    pub async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
        dead: bool,
    ) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        with_pool!(self, pool => sqlx::query(
            "UPDATE outbox SET status = $1, due_at = $2, claimed_until = NULL, last_error = $3 \
             WHERE id = $4",
        )
        .bind(if dead { "dead" } else { "pending" })
        .bind(retry_at)
        .bind(crate::domain::truncate_chars(error, 600))
        .bind(id)
        .execute(pool)
        .await.map(|_| ()))?;
        Ok(())
    }

    /// Puts a claimed email back, untried, until `at` (a recipient over the hourly cap).
    pub async fn defer_email(&self, id: i64, at: DateTime<Utc>) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        with_pool!(self, pool => sqlx::query(
            "UPDATE outbox SET status = 'pending', due_at = $1, claimed_until = NULL, \
             attempts = attempts - 1 WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(pool)
        .await.map(|_| ()))?;
        Ok(())
    }

    /// Turns a claimed alert into an item of the recipient's next digest (over the cap).
    pub async fn fold_into_digest(
        &self,
        id: i64,
        digest_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        with_pool!(self, pool => sqlx::query(
            "UPDATE outbox SET kind = 'digest_item', status = 'pending', due_at = $1, \
             claimed_until = NULL, attempts = 0 WHERE id = $2",
        )
        .bind(digest_at)
        .bind(id)
        .execute(pool)
        .await.map(|_| ()))?;
        Ok(())
    }

    /// Emails sent to `recipient` since `since`, oldest first (their times).
    pub async fn sent_since(
        &self,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StorageError> {
        Ok(
            with_pool!(self, pool => sqlx::query_scalar::<_, DateTime<Utc>>(
            "SELECT sent_at FROM outbox WHERE recipient = $1 AND status = 'sent' \
             AND sent_at >= $2 ORDER BY sent_at",
        )
        .bind(recipient)
        .bind(since)
        .fetch_all(pool)
        .await)?,
        )
    }

    /// Gathers each recipient's due digest items into one digest email per recipient and
    /// language, in one transaction. `make` gives the digest's row (key, Message-ID) for a
    /// (recipient, language, due time). Returns how many digests were made.
    pub async fn compose_digests(
        &self,
        now: DateTime<Utc>,
        make: &(dyn Fn(&str, &str, DateTime<Utc>) -> NewEmail + Sync),
    ) -> Result<u64, StorageError> {
        let _writer = self.write_guard().await;
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let groups = sqlx::query_as::<_, (String, String, DateTime<Utc>)>(
                "SELECT recipient, language, MAX(due_at) FROM outbox WHERE kind = 'digest_item' \
                 AND status = 'pending' AND digest_id IS NULL AND due_at <= $1 \
                 GROUP BY recipient, language",
            )
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            let mut made = 0;
            for (recipient, language, due) in groups {
                let digest = make(&recipient, &language, due);
                let emails = [digest.clone()];
                if insert_emails!(tx, emails, now) == 0 {
                    continue;
                }
                let digest_id: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE key = $1")
                    .bind(&digest.key)
                    .fetch_one(&mut *tx)
                    .await?;
                let batched = sqlx::query(
                    "UPDATE outbox SET digest_id = $1, status = 'batched' WHERE kind = 'digest_item' \
                     AND status = 'pending' AND digest_id IS NULL AND due_at <= $2 \
                     AND recipient = $3 AND language = $4",
                )
                .bind(digest_id)
                .bind(now)
                .bind(&recipient)
                .bind(&language)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if batched == 0 {
                    // Another daemon batched these items first: no empty digest.
                    sqlx::query("DELETE FROM outbox WHERE id = $1")
                        .bind(digest_id)
                        .execute(&mut *tx)
                        .await?;
                    continue;
                }
                made += 1;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(made)
        })?)
    }

    /// The flags a digest carries.
    pub async fn digest_flag_ids(&self, digest_id: i64) -> Result<Vec<i64>, StorageError> {
        Ok(with_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT flag_id FROM outbox WHERE digest_id = $1 AND flag_id IS NOT NULL ORDER BY id",
        )
        .bind(digest_id)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn outbox_counts(&self) -> Result<Vec<OutboxCount>, StorageError> {
        Ok(with_pool!(self, pool => sqlx::query_as::<_, OutboxCount>(
            "SELECT kind, status, COUNT(*) AS count FROM outbox GROUP BY kind, status \
             ORDER BY kind, status",
        )
        .fetch_all(pool)
        .await)?)
    }

    /// Rows in `status`, oldest first, at most `limit`.
    pub async fn outbox_rows(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM outbox WHERE ($1 IS NULL OR status = $1) \
             ORDER BY id LIMIT $2"
        ));
        Ok(with_pool!(self, pool => sqlx::query_as::<_, OutboxRow>(sql)
            .bind(status)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// Dead-lettered emails become due again now, with a fresh count of attempts.
    pub async fn requeue_dead(
        &self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let _writer = self.write_guard().await;
        Ok(with_pool!(self, pool => sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, due_at = $1 \
             WHERE status = 'dead' AND ($2 IS NULL OR id = $2)",
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
