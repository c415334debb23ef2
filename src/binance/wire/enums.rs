//! Binance's string enums. Each keeps an `Other` for a value this version
//! does not know: Binance adds order types and statuses without notice, and
//! one new word must not make a whole response unreadable.

use serde::Deserialize;

use crate::domain::{OrderState, Qty};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
        #[serde(from = "String")]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know, as sent.
            Other(String),
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Other(s),
                }
            }
        }

        impl $name {
            /// Binance's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }
        }
    };
}

wire_enum!(
    /// `status` of an order (REST) and `X` of an `ORDER_TRADE_UPDATE`.
    OrderStatus {
        New = "NEW",
        PartiallyFilled = "PARTIALLY_FILLED",
        Filled = "FILLED",
        Canceled = "CANCELED",
        Rejected = "REJECTED",
        Expired = "EXPIRED",
        ExpiredInMatch = "EXPIRED_IN_MATCH",
        NewInsurance = "NEW_INSURANCE",
        NewAdl = "NEW_ADL",
    }
);

impl OrderStatus {
    /// Our lifecycle state for an order in this status with `executed`
    /// filled so far.
    pub fn order_state(&self, executed: Qty) -> OrderState {
        match self {
            // Liquidation and ADL orders are the venue's, working like any other.
            OrderStatus::New | OrderStatus::NewInsurance | OrderStatus::NewAdl => {
                if executed.is_zero() {
                    OrderState::Open
                } else {
                    OrderState::PartiallyFilled { filled: executed }
                }
            }
            OrderStatus::PartiallyFilled => OrderState::PartiallyFilled { filled: executed },
            OrderStatus::Filled => OrderState::Filled,
            OrderStatus::Canceled => OrderState::Cancelled,
            OrderStatus::Rejected => OrderState::Rejected {
                reason: "rejected by Binance".to_string(),
            },
            // Self-trade prevention expiring the order in the match is an expiry too.
            OrderStatus::Expired | OrderStatus::ExpiredInMatch => OrderState::Expired,
            // Unknown words settle nothing: a query or a later event will.
            OrderStatus::Other(_) => OrderState::Unknown,
        }
    }
}

wire_enum!(
    /// `x` of an `ORDER_TRADE_UPDATE`: what happened in this event.
    ExecutionType {
        New = "NEW",
        Canceled = "CANCELED",
        Calculated = "CALCULATED",
        Expired = "EXPIRED",
        Trade = "TRADE",
        Amendment = "AMENDMENT",
    }
);

wire_enum!(
    /// `type` / `orderType` of an order or algo order.
    OrderType {
        Limit = "LIMIT",
        Market = "MARKET",
        Stop = "STOP",
        StopMarket = "STOP_MARKET",
        TakeProfit = "TAKE_PROFIT",
        TakeProfitMarket = "TAKE_PROFIT_MARKET",
        TrailingStopMarket = "TRAILING_STOP_MARKET",
        Liquidation = "LIQUIDATION",
    }
);

wire_enum!(
    /// `algoStatus` / `X` of an algo (conditional) order.
    AlgoStatus {
        New = "NEW",
        Triggering = "TRIGGERING",
        Triggered = "TRIGGERED",
        Finished = "FINISHED",
        Canceled = "CANCELED",
        Rejected = "REJECTED",
        Expired = "EXPIRED",
    }
);

impl AlgoStatus {
    /// Our lifecycle state for a protective order in this status. `executed`
    /// is what the order it fired filled (`aq`), when Binance reports it.
    pub fn order_state(&self, executed: Option<Qty>, reason: Option<&str>) -> OrderState {
        match self {
            // Triggering and triggered: the market order it fired is in flight;
            // its fills arrive as ORDER_TRADE_UPDATE of the actual order.
            AlgoStatus::New | AlgoStatus::Triggering | AlgoStatus::Triggered => OrderState::Open,
            // FINISHED closes both a trigger whose order filled and one whose
            // order was cancelled in the book (the recorded "finished_canceled"
            // has aq = 0). The fills themselves are booked from the actual
            // order's ORDER_TRADE_UPDATE; without aq only a query can tell.
            AlgoStatus::Finished => match executed {
                Some(q) if q.is_zero() => OrderState::Cancelled,
                Some(_) => OrderState::Filled,
                None => OrderState::Unknown,
            },
            AlgoStatus::Canceled => OrderState::Cancelled,
            AlgoStatus::Rejected => OrderState::Rejected {
                reason: reason.unwrap_or("rejected by Binance").to_string(),
            },
            AlgoStatus::Expired => OrderState::Expired,
            AlgoStatus::Other(_) => OrderState::Unknown,
        }
    }
}

wire_enum!(
    /// `positionSide`: `BOTH` in one-way mode, `LONG`/`SHORT` in hedge mode.
    PositionSide {
        Both = "BOTH",
        Long = "LONG",
        Short = "SHORT",
    }
);

wire_enum!(
    /// Which price triggers a conditional order.
    WorkingType {
        MarkPrice = "MARK_PRICE",
        ContractPrice = "CONTRACT_PRICE",
    }
);

wire_enum!(
    /// `algoType`; only conditional orders exist today.
    AlgoType {
        Conditional = "CONDITIONAL",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_words_are_kept_not_refused() {
        let s: OrderStatus = serde_json::from_str("\"NEW_SOMETHING\"").unwrap();
        assert_eq!(s, OrderStatus::Other("NEW_SOMETHING".into()));
        assert_eq!(s.as_str(), "NEW_SOMETHING");
        assert_eq!(s.order_state(Qty::ZERO), OrderState::Unknown);
        let t: OrderType = serde_json::from_str("\"TAKE_PROFIT_MARKET\"").unwrap();
        assert_eq!(t, OrderType::TakeProfitMarket);
        assert_eq!(t.as_str(), "TAKE_PROFIT_MARKET");
    }

    #[test]
    fn a_new_order_with_fills_is_partially_filled() {
        let q: Qty = "0.5".parse().unwrap();
        assert_eq!(OrderStatus::New.order_state(Qty::ZERO), OrderState::Open);
        assert_eq!(
            OrderStatus::New.order_state(q),
            OrderState::PartiallyFilled { filled: q }
        );
        assert_eq!(
            OrderStatus::ExpiredInMatch.order_state(q),
            OrderState::Expired
        );
    }

    #[test]
    fn a_finished_algo_order_is_filled_only_when_its_order_filled() {
        let q: Qty = "38".parse().unwrap();
        assert_eq!(
            AlgoStatus::Finished.order_state(Some(q), None),
            OrderState::Filled
        );
        assert_eq!(
            AlgoStatus::Finished.order_state(Some(Qty::ZERO), None),
            OrderState::Cancelled
        );
        assert_eq!(
            AlgoStatus::Finished.order_state(None, None),
            OrderState::Unknown
        );
        assert_eq!(
            AlgoStatus::Rejected.order_state(None, Some("Reduce Only reject")),
            OrderState::Rejected {
                reason: "Reduce Only reject".into()
            }
        );
    }
}
