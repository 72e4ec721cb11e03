// Run by the mongo-init service of compose.yaml (mongosh --nodb) in mongo1's network namespace:
// initiates replica set rs0 and creates the users root and lrs. Idempotent: once the users
// exist it authenticates and only checks.
const conn = new Mongo("mongodb://localhost:27017/?directConnection=true");
const admin = conn.getDB("admin");
const rootPassword = process.env.MONGO_ROOT_PASSWORD;
const lrsPassword = process.env.LRS_MONGODB_PASSWORD;

function authenticated() {
  try {
    return admin.auth("root", rootPassword).ok === 1;
  } catch (e) {
    return false; // no users yet: the localhost exception applies
  }
}

const firstStart = !authenticated();
if (firstStart) {
  const status = admin.runCommand({ replSetGetStatus: 1 });
  if (status.code === 94 /* NotYetInitialized */) {
    // mongo1 is preferred as primary, so that the users are created where this runs.
    printjson(admin.runCommand({
      replSetInitiate: {
        _id: "rs0",
        members: [
          { _id: 0, host: "mongo1:27017", priority: 2 },
          { _id: 1, host: "mongo2:27017", priority: 1 },
          { _id: 2, host: "mongo3:27017", priority: 1 },
        ],
      },
    }));
  }
}
for (let i = 0; !admin.runCommand({ hello: 1 }).isWritablePrimary; i++) {
  if (i === 120) throw new Error("mongo1 did not become primary within a minute");
  sleep(500);
}
if (firstStart) {
  admin.createUser({ user: "root", pwd: rootPassword, roles: [{ role: "root", db: "admin" }] });
  admin.auth("root", rootPassword);
}
if (!admin.getUser("lrs")) {
  // The LRS reads and writes its own database, and creates its indexes there: nothing else.
  admin.createUser({
    user: "lrs", pwd: lrsPassword, roles: [{ role: "readWrite", db: "lrs" }],
    writeConcern: { w: "majority" },
  });
}
print("replica set rs0 ready; users root and lrs exist");
