package dev.pincette.translate;

/**
 * One parameter of the kernel method, and what the kernel does with it through every method it calls: the argument
 * table a backend binds arguments from.
 *
 * @param index the position in the method's parameter list; 0 is the work-item index
 * @param name the source name (from the LocalVariableTable), or {@code arg<index>} without debug information
 * @param role what the parameter is
 * @param type the element type of an array, or the type of a scalar or of the index
 * @param variable the variable holding a scalar or the index; null for arrays
 * @param read whether some element is loaded (also by an atomic update)
 * @param written whether some element is stored (also by an atomic update)
 * @param atomic whether some element is updated atomically
 * @param lengthRead whether the array's length is read
 */
public record Parameter(int index, String name, Role role, ElementType type, Value.Var variable, boolean read,
    boolean written, boolean atomic, boolean lengthRead) {

  /** What a parameter is to the kernel. */
  public enum Role {
    /** The work-item index, parameter 0. */
    INDEX,
    /** A primitive (or boxed primitive) value, the same for every work item. */
    SCALAR,
    /** An array, shared by all work items. */
    ARRAY
  }

  /** Whether the kernel touches the array at all (its elements or its length). */
  public boolean used() {
    return read || written || lengthRead;
  }
}
