//! Trade markers of a fixed size in pixels wherever they sit in data
//! coordinates: ▲ under a point, ▼ over it, or a dot on it.

use plotters::element::{Drawable, PointCollection};
use plotters::style::ShapeStyle;
use plotters_backend::{BackendCoord, DrawingBackend, DrawingErrorKind};

const HALF_WIDTH: i32 = 3;
const HEIGHT: i32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// ▲ with its tip `gap` pixels under the point.
    Up {
        gap: i32,
    },
    /// ▼ with its tip `gap` pixels over the point.
    Down {
        gap: i32,
    },
    Dot {
        radius: u32,
    },
}

impl Shape {
    /// The same shape centred on its point, for the legend.
    pub fn centred(self) -> Shape {
        match self {
            Shape::Up { .. } => Shape::Up { gap: -HEIGHT / 2 },
            Shape::Down { .. } => Shape::Down { gap: -HEIGHT / 2 },
            Shape::Dot { .. } => Shape::Dot { radius: 3 },
        }
    }
}

pub struct Marker<C> {
    pub at: C,
    pub shape: Shape,
    pub style: ShapeStyle,
}

impl<'a, C> PointCollection<'a, C> for &'a Marker<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;

    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Marker<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = points.next() else {
            return Ok(());
        };
        let (w, h) = (HALF_WIDTH, HEIGHT);
        match self.shape {
            Shape::Up { gap } => backend.fill_polygon(
                [(x, y + gap), (x - w, y + gap + h), (x + w, y + gap + h)],
                &self.style,
            ),
            Shape::Down { gap } => backend.fill_polygon(
                [(x, y - gap), (x - w, y - gap - h), (x + w, y - gap - h)],
                &self.style,
            ),
            Shape::Dot { radius } => backend.draw_circle((x, y), radius, &self.style, true),
        }
    }
}
