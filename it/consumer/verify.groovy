// Runs after both builds of the consumer: each run ended the way it had to, and the documented flags are the ones
// the runs used.
def log = new File(basedir, 'build.log').text
def expect = { String line, int times ->
  def found = log.count(line)
  if (found != times) throw new AssertionError("expected ${times} × '${line}' in build.log, found ${found}")
}
expect('consumer: ok on the classpath', 2)
expect(' JFR events', 2)                                // both paths, under a recording
expect(', without jdk.jfr', 1)                          // a runtime without jdk.jfr (--limit-modules)
expect('consumer: ok on the modulepath', 1)
expect('consumer: FAILED (10)', 1)   // class path without --add-modules jdk.incubator.vector
expect('consumer: FAILED (11)', 3)   // without native access (class path), without org.lwjgl.natives or native
                                     // access for org.lwjgl (module path)
expect('consumer: FAILED (12)', 1)   // the OpenCL backend without its service registration
expect('consumer: FAILED (13)', 1)   // module path without native access for dev.pincette.opencl: OpenCL products
                                     // in native memory fall back to the CPU

def pom = new groovy.xml.XmlSlurper().parse(new File(basedir, 'pom.xml'))
def doc = new File(projectRoot, 'docs/usage-in-a-project.md').text
['pincette.flags.classpath', 'pincette.flags.modulepath'].each { name ->
  def flags = pom.properties."${name}".text()
  if (!flags.contains('--add-modules')) throw new AssertionError("no ${name} in the consumer's pom.xml")
  if (!doc.contains(flags)) throw new AssertionError("docs/usage-in-a-project.md does not give ${name}: ${flags}")
}
return true
