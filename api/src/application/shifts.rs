//! Shifts and receipts: a cashier's shift opened with a float and closed with a blind count,
//! counts of the drawer, the hand-over to finance, voided receipts, and the path that money
//! crossing the window takes (the account, the drawer and the next receipt number in one
//! append), which deposits, refunds and settlements share.

use uuid::Uuid;
use yika_domain::ids::streams;
use yika_domain::window::{self, Drawer, Payment, ShiftOpening};
use yika_domain::{
    Account, AccountId, Actor, Cashier, Event, Money, PaymentMethod, Role, Shift, ShiftId,
    VarianceResolution,
};
use yika_store::IdempotencyClaim;

use super::{App, Write, Written};
use crate::error::{ApiError, ApiResult};

/// A shift's drawer as loaded from the log, with the revisions its streams were loaded at.
pub(crate) struct LoadedDrawer {
    /// What the domain decides on.
    pub drawer: Drawer,
    /// The owning cashier's stream and its revision (`None` for an unknown shift).
    cashier_stream: Option<(String, u64)>,
    /// The shift stream's revision.
    shift_revision: u64,
}

impl LoadedDrawer {
    /// `events` on the shift's stream, guarding the cashier's stream (whether the shift is open
    /// is decided there: a close racing this write is caught).
    fn on_shift(&self, events: impl IntoIterator<Item = Event>) -> Vec<Write> {
        let mut writes = vec![Write::new(
            streams::shift(self.drawer.shift_id),
            self.shift_revision,
            events,
        )];
        if let Some((stream, revision)) = &self.cashier_stream {
            writes.push(Write::guard(stream.clone(), *revision));
        }
        writes
    }

    /// `event` on the cashier's stream, guarding the shift's stream (no receipt slips in
    /// between the count of receipts used and the close).
    fn on_cashier(&self, event: Event) -> ApiResult<Vec<Write>> {
        let (stream, revision) = self.cashier_stream.clone().ok_or_else(|| {
            ApiError::Internal("a decision on the cashier of an unknown shift".to_owned())
        })?;
        Ok(vec![
            Write::new(stream, revision, [event]),
            Write::guard(streams::shift(self.drawer.shift_id), self.shift_revision),
        ])
    }
}

impl App {
    /// Loads a shift's drawer: its opening (found by the shift's id, which is the id of its
    /// `ShiftOpened` event), the owning cashier's stream and the shift's own stream.
    pub(crate) async fn drawer(&self, shift_id: ShiftId) -> ApiResult<LoadedDrawer> {
        let Some((cashier_stream, opened)) =
            self.event_by_id(shift_id.as_uuid(), "ShiftOpened").await?
        else {
            return Ok(LoadedDrawer {
                drawer: Drawer {
                    shift_id,
                    opening: None,
                    cashier: Cashier::default(),
                    shift: Shift::default(),
                },
                cashier_stream: None,
                shift_revision: 0,
            });
        };
        let (_, opening) = ShiftOpening::of(&opened)
            .ok_or_else(|| ApiError::Internal("a ShiftOpened event that is not one".to_owned()))?;
        let cashier = self.load::<Cashier>(&cashier_stream).await?;
        let shift = self.load::<Shift>(&streams::shift(shift_id)).await?;
        Ok(LoadedDrawer {
            drawer: Drawer {
                shift_id,
                opening: Some(opening),
                cashier: (*cashier.state).clone(),
                shift: (*shift.state).clone(),
            },
            cashier_stream: Some((cashier_stream, cashier.revision)),
            shift_revision: shift.revision,
        })
    }

    /// Money crossing the window for an account in the cashier's own open shift: the account's
    /// movement and the drawer's receipt, appended together.
    pub(crate) async fn through_the_window(
        &self,
        actor: &Actor,
        (account_id, shift_id, method): (AccountId, ShiftId, PaymentMethod),
        payment: Payment,
        claim: IdempotencyClaim,
        back_entry: Option<&super::days::BackEntryRequest>,
    ) -> ApiResult<Written> {
        let account_stream = streams::account(account_id);
        let shift_stream = streams::shift(shift_id);
        let run = self.execute(Some(actor), &shift_stream, Some(claim), || async {
            let loaded = self.drawer(shift_id).await?;
            let account = self.load::<Account>(&account_stream).await?;
            let paid = window::pay(actor, &loaded.drawer, &account.state, method, &payment)?;
            let mut writes = vec![Write::new(
                account_stream.clone(),
                account.revision,
                [paid.movement],
            )];
            writes.extend(loaded.on_shift([paid.receipt]));
            // A back-entry goes only into a day not closed; the day's stream is guarded so
            // that a close racing it is caught.
            if let Some(back) = back_entry {
                let stream = yika_domain::day::stream(back.date);
                let day = self.load::<yika_domain::Day>(&stream).await?;
                yika_domain::day::back_entry(
                    &day.state,
                    back.date,
                    back.occurred_at,
                    &back.reason,
                    self.clock.now(),
                    back.window,
                )?;
                writes.push(Write::guard(stream, day.revision));
            }
            Ok(writes)
        });
        match back_entry {
            None => run.await,
            Some(back) => {
                super::BACK_ENTRY
                    .scope((back.occurred_at, back.reason.trim().to_owned()), run)
                    .await
            }
        }
    }

    /// CASHIER: opens a shift; one open shift per cashier. The shift's id is its event's id.
    pub async fn open_shift(
        &self,
        actor: &Actor,
        key: &str,
        window: &str,
        opening_float: Money,
    ) -> ApiResult<ShiftId> {
        actor.require(Role::Cashier)?;
        let stream = streams::cashier(actor.staff_id);
        let claim = super::claim("openShift", key, &(actor.staff_id, window, opening_float))?;
        let written = self
            .execute(Some(actor), &stream, Some(claim), || async {
                let cashier = self.load::<Cashier>(&stream).await?;
                let event_id = Uuid::now_v7();
                let opened = window::open_shift(
                    actor,
                    &cashier.state,
                    ShiftId(event_id),
                    window,
                    opening_float,
                )?;
                Ok(vec![Write::with_id(
                    stream.clone(),
                    cashier.revision,
                    event_id,
                    opened,
                )])
            })
            .await?;
        Ok(ShiftId(written.take("ShiftOpened")?.event_id))
    }

    /// CASHIER who owns it: closes the open shift with a blind count.
    pub async fn close_shift(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        counted_cash: Money,
        counted_other: Vec<(PaymentMethod, Money)>,
    ) -> ApiResult<()> {
        actor.require(Role::Cashier)?;
        self.execute(Some(actor), &streams::shift(shift_id), None, || async {
            let loaded = self.drawer(shift_id).await?;
            let closed = window::close_shift(actor, &loaded.drawer, counted_cash, &counted_other)?;
            loaded.on_cashier(closed)
        })
        .await?;
        Ok(())
    }

    /// Counts a shift's drawer: a surprise count (突击盘点) by an AUDITOR, or a routine count by
    /// the CASHIER who owns the shift.
    pub async fn record_cash_count(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        counted_cash: Money,
        note: Option<String>,
    ) -> ApiResult<()> {
        window::surprise_count(actor)?;
        self.execute(Some(actor), &streams::shift(shift_id), None, || async {
            let loaded = self.drawer(shift_id).await?;
            let counted = window::count_cash(actor, &loaded.drawer, counted_cash, note.as_deref())?;
            Ok(loaded.on_shift([counted]))
        })
        .await?;
        Ok(())
    }

    /// CONTROLLER: receives a closed shift's cash for finance (上交财务).
    pub async fn hand_over(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        amount: Money,
    ) -> ApiResult<()> {
        actor.require(Role::Controller)?;
        self.execute(Some(actor), &streams::shift(shift_id), None, || async {
            let loaded = self.drawer(shift_id).await?;
            let handed = window::hand_over(actor, &loaded.drawer, amount)?;
            Ok(loaded.on_shift([handed]))
        })
        .await?;
        Ok(())
    }

    /// CASHIER who owns it: voids the next receipt number of the open shift (a spoiled form).
    pub async fn void_receipt(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        reason: &str,
    ) -> ApiResult<()> {
        actor.require(Role::Cashier)?;
        self.execute(Some(actor), &streams::shift(shift_id), None, || async {
            let loaded = self.drawer(shift_id).await?;
            let voided = window::void_receipt(actor, &loaded.drawer, reason)?;
            Ok(loaded.on_shift([voided]))
        })
        .await?;
        Ok(())
    }

    /// CASHIER who owns it: declares what they hand over from the closed shift (交接, the
    /// cashier's half); the controller's receipt is the other half.
    pub async fn declare_hand_over(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        cash: Money,
        other: Vec<(PaymentMethod, Money)>,
    ) -> ApiResult<()> {
        actor.require(Role::Cashier)?;
        self.execute(Some(actor), &streams::shift(shift_id), None, || async {
            let loaded = self.drawer(shift_id).await?;
            let declared = window::declare_hand_over(actor, &loaded.drawer, cash, &other)?;
            Ok(loaded.on_shift([declared]))
        })
        .await?;
        Ok(())
    }

    /// CONTROLLER: resolves a closed shift's cash variance (长短款).
    pub async fn resolve_variance(
        &self,
        actor: &Actor,
        shift_id: ShiftId,
        resolution: VarianceResolution,
        note: &str,
    ) -> ApiResult<()> {
        actor.require(Role::Controller)?;
        self.execute(Some(actor), &streams::shift(shift_id), None, || async {
            let loaded = self.drawer(shift_id).await?;
            let resolved = window::resolve_variance(actor, &loaded.drawer, resolution, note)?;
            Ok(loaded.on_shift([resolved]))
        })
        .await?;
        Ok(())
    }
}
