// Checks a portable PDB from a .snupkg: every source document has its text embedded and a path mapped to /_/ (no
// machine's build folder). Prints each problem and exits 1 when there is one. Run by tests/check-packages.sh.
using System.Reflection.Metadata;

var embeddedSource = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
using var provider = MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(args[0]));
var reader = provider.GetMetadataReader();
var embedded = new HashSet<DocumentHandle>();
foreach (var handle in reader.CustomDebugInformation)
{
    var info = reader.GetCustomDebugInformation(handle);
    if (reader.GetGuid(info.Kind) == embeddedSource && info.Parent.Kind == HandleKind.Document)
    {
        embedded.Add((DocumentHandle)info.Parent);
    }
}

var problems = 0;
foreach (var handle in reader.Documents)
{
    var name = reader.GetString(reader.GetDocument(handle).Name);
    if (!name.StartsWith("/_/", StringComparison.Ordinal))
    {
        Console.WriteLine($"{args[0]}: {name} is not a deterministic path");
        problems++;
    }

    if (!embedded.Contains(handle))
    {
        Console.WriteLine($"{args[0]}: {name} has no embedded source");
        problems++;
    }
}

Console.WriteLine($"{Path.GetFileName(args[0])}: {reader.Documents.Count} documents, {problems} problems");
return problems == 0 && reader.Documents.Count > 0 ? 0 : 1;
