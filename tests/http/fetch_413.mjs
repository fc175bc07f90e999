// Node fetch (undici) posts a body over the limit five times; prints how many 413s it read.
const url = process.argv[2];
const token = process.argv[3];
let ok = 0, errs = [];
for (let i = 0; i < 5; i++) {
  try {
    const r = await fetch(url, {method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 120),
      headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token}});
    const j = await r.json();
    if (r.status === 413 && j.type === 'urn:stek:problem:body-too-large') ok++;
    else errs.push(r.status);
  } catch (e) { errs.push(String(e.cause ? e.cause.code || e.cause : e)); }
}
console.log(JSON.stringify({ok, errs}));
