/**
 * A real PNG for display tests: 2×1 pixels (red, blue), 8-bit RGB — signature, IHDR, IDAT and IEND with their
 * CRCs, as `file` and any decoder read it.
 */
export const TWO_PIXEL_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGP4z8DAwPAfAAcAAf9+CLHQAAAAAElFTkSuQmCC", "base64");
