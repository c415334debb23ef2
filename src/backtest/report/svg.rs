//! plotters' SVG backend measures text with a registered font to place
//! labels; the SVG itself only names the family. This wrapper measures
//! with the font when there is one and estimates otherwise, so the SVG is
//! written on a system without any font file.

use plotters::backend::SVGBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// An average advance of a sans-serif glyph, in em.
const ADVANCE_EM: f64 = 0.55;

pub struct Svg<'a>(pub SVGBackend<'a>);

type Error<'a> = DrawingErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Svg<'a> {
    type ErrorType = <SVGBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error<'a>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error<'a>> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error<'a>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.0.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Error<'a>> {
        self.0.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Error<'a>> {
        self.0
            .estimate_text_size(text, style)
            .or_else(|_| Ok(estimate(text, style.size())))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error<'a>> {
        self.0.blit_bitmap(pos, size, src)
    }
}

/// Width and height of `text` at plotters' `size` (1.24 × the em in pixels).
fn estimate(text: &str, size: f64) -> (u32, u32) {
    let em = size / 1.24;
    let width = text.chars().count() as f64 * em * ADVANCE_EM;
    (width.round() as u32, em.round() as u32)
}

#[cfg(test)]
mod tests {
    use plotters::style::{IntoFont, TextStyle};

    use super::*;

    #[test]
    fn text_is_measured_without_any_font_registered() {
        let mut out = String::new();
        let svg = Svg(SVGBackend::with_string(&mut out, (200, 100)));
        // No font is ever registered under this family.
        let style = TextStyle::from(("cockpit-no-such-font", 24.8).into_font());
        let (w, h) = svg.estimate_text_size("0123456789", &style).unwrap();
        assert_eq!((w, h), (110, 20));
    }
}
