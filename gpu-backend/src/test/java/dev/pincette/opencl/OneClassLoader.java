package dev.pincette.opencl;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/**
 * A loader of one generated class, which also serves the class's bytes as its resource (the translator reads kernels'
 * bytecode from there), delegating everything else to {@code parent}.
 */
final class OneClassLoader extends ClassLoader {
  private final String name;
  private final byte[] bytes;
  private final Class<?> defined;

  OneClassLoader(ClassLoader parent, String name, byte[] bytes) {
    super(parent);
    this.name = name;
    this.bytes = bytes;
    this.defined = defineClass(name, bytes, 0, bytes.length);
  }

  @Override
  protected Class<?> findClass(String n) throws ClassNotFoundException {
    if (n.equals(name)) return defined;
    throw new ClassNotFoundException(n);
  }

  @Override
  public InputStream getResourceAsStream(String resource) {
    if (resource.equals(name.replace('.', '/') + ".class")) return new ByteArrayInputStream(bytes);
    return super.getResourceAsStream(resource);
  }
}
