namespace BiGS.Native.Bench; static class Program { static int Main() => 0; }
