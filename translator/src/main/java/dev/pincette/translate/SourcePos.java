package dev.pincette.translate;

/**
 * Where a statement came from, for error messages: {@code Physics.density (Physics.java:42)}.
 *
 * @param method the class's simple binary name and the method, e.g. {@code Physics.density}
 * @param file the source file, or null when the class file does not name it
 * @param line the line, or -1 when the class file has no line numbers
 */
public record SourcePos(String method, String file, int line) {
  @Override
  public String toString() {
    return method + " (" + (file == null ? "Unknown Source" : file) + (line >= 0 ? ":" + line : "") + ")";
  }
}
