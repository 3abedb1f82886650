//! Reach: how many people a mention can touch, as a 0-100 score on a log scale.
//!
//! ```text
//! impressions = base + 40·reposts + 15·points + 4·replies + 1.5·likes + views
//! base        = the author's followers, where the platform shows them;
//!               else 2 % of the community's subscribers (subreddit, Lemmy community);
//!               else a per-platform estimate of what one post is seen by
//! reach_score = 100 · log10(1 + impressions) / 7, capped at 100   (10 million → 100)
//! ```
//!
//! A repost puts the post in front of another audience, so it weighs more than a like; points
//! (Hacker News, Reddit) push a post up a ranked page; replies show a conversation others
//! read. On a log scale an author with ten times the audience gains a fixed step (≈ 14
//! points), so reach separates voices without letting one celebrity flatten everyone else.

use crate::domain::{Count, Platform};
use crate::sources::{Engagement, RawItem};

/// The numbers reach is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReachInputs {
    pub followers: Option<i64>,
    pub reposts: Option<i64>,
    pub likes: Option<i64>,
    pub replies: Option<i64>,
    pub points: Option<i64>,
    pub views: Option<i64>,
    /// Subscribers of the community it was posted in.
    pub audience: Option<i64>,
}

impl ReachInputs {
    pub fn of(item: &RawItem) -> Self {
        let Engagement {
            likes,
            reposts,
            replies,
            points,
            views,
            audience,
            ..
        } = item.engagement;
        let n = |c: Option<Count>| c.map(Count::get);
        Self {
            followers: n(item.author.as_ref().and_then(|a| a.followers)),
            reposts: n(reposts),
            likes: n(likes),
            replies: n(replies),
            points: n(points),
            views: n(views),
            audience: n(audience),
        }
    }
}

/// Share of a community that sees one post when the author's own audience is unknown.
const COMMUNITY_SHARE: f64 = 0.02;

/// What one post is seen by when the platform shows no audience at all.
pub fn platform_base(platform: Platform) -> f64 {
    match platform {
        Platform::Web => 300.0,
        Platform::HackerNews => 1_500.0,
        Platform::Reddit => 400.0,
        Platform::Mastodon | Platform::Bluesky => 150.0,
        Platform::Lemmy => 100.0,
        // Reviews are read by people deciding whether to install.
        Platform::AppStore => 1_000.0,
        Platform::YouTube => 300.0,
    }
}

/// Estimated impressions and the 0-100 score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    pub impressions: f64,
    pub score: f64,
}

pub fn reach(platform: Platform, inputs: &ReachInputs) -> Reach {
    let v = |n: Option<i64>| n.map_or(0.0, |n| n.max(0) as f64);
    let base = match (inputs.followers, inputs.audience) {
        (Some(f), _) => v(Some(f)),
        (None, Some(a)) => v(Some(a)) * COMMUNITY_SHARE,
        (None, None) => platform_base(platform),
    };
    let impressions = base
        + 40.0 * v(inputs.reposts)
        + 15.0 * v(inputs.points)
        + 4.0 * v(inputs.replies)
        + 1.5 * v(inputs.likes)
        + v(inputs.views);
    let score = (100.0 * (1.0 + impressions).log10() / 7.0).clamp(0.0, 100.0);
    Reach {
        impressions,
        score: (score * 10.0).round() / 10.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(inputs: ReachInputs) -> f64 {
        reach(Platform::Mastodon, &inputs).score
    }

    #[test]
    fn log_scale_from_zero_to_a_hundred() {
        let none = ReachInputs {
            followers: Some(0),
            ..ReachInputs::default()
        };
        assert_eq!(score(none), 0.0);
        let huge = ReachInputs {
            followers: Some(i64::MAX / 2),
            reposts: Some(i64::MAX / 2),
            ..ReachInputs::default()
        };
        assert_eq!(score(huge), 100.0);
        let f = |n| {
            score(ReachInputs {
                followers: Some(n),
                ..ReachInputs::default()
            })
        };
        // Ten times the audience is one fixed step.
        assert!((f(10_000) - f(1_000) - (f(1_000) - f(100))).abs() < 0.3);
        assert!((f(1_000) - 42.9).abs() < 0.1, "{}", f(1_000));
    }

    #[test]
    fn reposts_weigh_more_than_likes() {
        let base = ReachInputs {
            followers: Some(100),
            ..ReachInputs::default()
        };
        let reposted = ReachInputs {
            reposts: Some(10),
            ..base
        };
        let liked = ReachInputs {
            likes: Some(10),
            ..base
        };
        assert!(score(reposted) > score(liked));
        assert!(score(liked) > score(base));
    }

    #[test]
    fn unknown_audience_uses_the_community_then_the_platform() {
        let in_big_subreddit = ReachInputs {
            audience: Some(2_000_000),
            ..ReachInputs::default()
        };
        let nothing = ReachInputs::default();
        let r = reach(Platform::Reddit, &in_big_subreddit);
        assert!((r.impressions - 40_000.0).abs() < 1e-6);
        assert_eq!(reach(Platform::Reddit, &nothing).impressions, 400.0);
        assert!(reach(Platform::AppStore, &nothing).score > reach(Platform::Lemmy, &nothing).score);
    }
}
