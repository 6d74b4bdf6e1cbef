//! Following start/limit pagination to the last page.

/// Where the next page starts, or that there is none.
///
/// Confluence pages carry `start`, `size` and a `next` link while more remain. The next page
/// starts at `start + size`. The walk stops at the first page without a `next` link, and also
/// at an empty page or a page that does not move forward (a misbehaving server must not loop
/// the client forever).
pub(crate) fn next_start(
    requested_start: i32,
    page_start: i32,
    page_size: i32,
    has_next_link: bool,
) -> Option<i32> {
    if !has_next_link || page_size <= 0 || page_start < requested_start {
        return None;
    }
    page_start.checked_add(page_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_start_plus_size_while_a_next_link_exists() {
        assert_eq!(next_start(0, 0, 200, true), Some(200));
        assert_eq!(next_start(200, 200, 50, true), Some(250));
        assert_eq!(next_start(200, 200, 50, false), None);
        // The server may cap a page below the requested limit; size is what counts.
        assert_eq!(next_start(0, 0, 25, true), Some(25));
    }

    #[test]
    fn misbehaving_pages_end_the_walk() {
        assert_eq!(
            next_start(0, 0, 0, true),
            None,
            "empty page with a next link"
        );
        assert_eq!(next_start(100, 0, 50, true), None, "page went backwards");
        assert_eq!(next_start(0, 0, -5, true), None);
        assert_eq!(next_start(0, i32::MAX - 1, 10, true), None, "overflow");
    }
}
