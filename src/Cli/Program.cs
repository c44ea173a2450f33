namespace BiGS.Native.Cli; static class Program { static int Main() => 0; }
