//! Device authorizations in memory (RFC 8628): each step one critical
//! section, so a decision and a redemption cannot interleave.
use async_trait::async_trait;

use super::super::{
    DeviceDecision, DeviceGrant, DevicePoll, DeviceState, DeviceStore, StoreResult,
};
use super::MemoryStore;
use super::records::DeviceEntry;

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn put_device(
        &self,
        device_code: String,
        user_code: String,
        grant: DeviceGrant,
        now: i64,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        if inner
            .user_codes
            .get(&user_code)
            .is_some_and(|(_, until)| *until > now)
        {
            return Ok(false);
        }
        inner
            .user_codes
            .insert(user_code, (device_code.clone(), grant.expires_at));
        inner.devices.insert(
            device_code,
            DeviceEntry {
                grant,
                last_poll_ms: None,
                redeemed: false,
            },
        );
        Ok(true)
    }

    async fn device_by_user_code(
        &self,
        user_code: &str,
        now: i64,
    ) -> StoreResult<Option<DeviceGrant>> {
        let inner = self.lock();
        Ok(inner
            .user_codes
            .get(user_code)
            .filter(|(_, until)| *until > now)
            .and_then(|(device, _)| inner.devices.get(device))
            .filter(|d| d.grant.state == DeviceState::Pending && !d.redeemed)
            .map(|d| d.grant.clone()))
    }

    async fn decide_device(
        &self,
        user_code: &str,
        decision: DeviceState,
        now: i64,
    ) -> StoreResult<DeviceDecision> {
        let mut inner = self.lock();
        let Some((device, until)) = inner.user_codes.get(user_code).cloned() else {
            return Ok(DeviceDecision::Unknown);
        };
        if until <= now {
            return Ok(DeviceDecision::Unknown);
        }
        let Some(entry) = inner.devices.get_mut(&device) else {
            return Ok(DeviceDecision::Unknown);
        };
        if entry.grant.state != DeviceState::Pending || entry.redeemed {
            return Ok(DeviceDecision::Unknown);
        }
        entry.grant.state = decision;
        let grant = entry.grant.clone();
        // One decision per user code (RFC 8628 §5.1: it is a guessable value).
        inner.user_codes.remove(user_code);
        Ok(DeviceDecision::Decided(Box::new(grant)))
    }

    async fn poll_device(
        &self,
        device_code: &str,
        client_id: &str,
        now_ms: i64,
    ) -> StoreResult<DevicePoll> {
        let mut inner = self.lock();
        let Some(entry) = inner.devices.get_mut(device_code) else {
            return Ok(DevicePoll::Unknown);
        };
        if entry.redeemed {
            return Ok(DevicePoll::Unknown);
        }
        if entry.grant.client_id != client_id {
            return Ok(DevicePoll::WrongClient);
        }
        if entry.grant.expires_at.saturating_mul(1000) <= now_ms {
            return Ok(DevicePoll::Expired);
        }
        Ok(match &entry.grant.state {
            DeviceState::Denied => DevicePoll::Denied,
            DeviceState::Approved(_) => {
                entry.redeemed = true;
                DevicePoll::Approved(Box::new(entry.grant.clone()))
            }
            DeviceState::Pending => {
                let early = entry
                    .last_poll_ms
                    .is_some_and(|last| now_ms - last < entry.grant.interval.saturating_mul(1000));
                entry.last_poll_ms = Some(now_ms);
                if early {
                    entry.grant.interval += 5;
                    DevicePoll::SlowDown {
                        interval: entry.grant.interval,
                    }
                } else {
                    DevicePoll::Pending
                }
            }
        })
    }
}
