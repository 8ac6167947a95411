using PsycheSimulation;

var app = PsycheApp.Create(args);
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var address in app.Urls)
    {
        Console.WriteLine($"Dashboard: {address}/");
    }
});
await app.RunAsync();
